"""The demo VistA's data dictionaries: which fields each file has, and where.

Every field here sits at the node;piece, with the type, of the same field in a real FOIA VistA
(``../shared/fixtures/vista/schema/*.json`` is the reference; ``tests/bridge/
test_demo_dictionaries.py`` checks it field by field).  A file defines only the fields the demo
fills, so code that works on the demo works on a real VistA.  Files outside the schema set
(9000001, 80, 9999999.27, 120.83, 50, 52, 55) follow the layout of their VistA packages
(PCE/IHS, Lexicon-era ICD, Allergy Tracking, Pharmacy Data Management, Outpatient Pharmacy).
"""

from __future__ import annotations

from bridge.demo.fields import (
    FileSpec,
    codes,
    date_time,
    free,
    multiple,
    numeric,
    pointer,
    variable,
)

YES_NO_10 = {"1": "YES", "0": "NO"}
YES_NO_YN = {"Y": "YES", "N": "NO"}

STATE = FileSpec(
    "5",
    "STATE",
    "^DIC(5,",
    (
        free(".01", "NAME", "0;1", lo=2, hi=30, required=True, xrefs=("B",)),
        free("1", "ABBREVIATION", "0;2", lo=2, hi=2, required=True, xrefs=("C",)),
        free("2", "VA STATE CODE", "0;3", lo=1, hi=2, xrefs=("C",)),
        codes("2.1", "AAC RECOGNIZED", "0;5", YES_NO_10, required=True),
        codes("2.2", "US STATE OR POSSESSION", "0;6", {"0": "No", "1": "Yes"}),
        free("5", "CAPITAL", "0;4", lo=2, hi=30),
    ),
    flags="I",
)

RACE = FileSpec(
    "10",
    "RACE",
    "^DIC(10,",
    (
        free(".01", "NAME", "0;1", lo=3, hi=60, required=True, xrefs=("B",)),
        free("2", "ABBREVIATION", "0;2", lo=1, hi=2, xrefs=("C",)),
        free("3", "HL7 VALUE", "0;3", lo=1, hi=10, required=True, xrefs=("AHL7",)),
        free("4", "CDC VALUE", "0;4", lo=1, hi=10),
        free("5", "PTF VALUE", "0;5", lo=1, hi=1, required=True),
    ),
    flags="I",
)

MARITAL_STATUS = FileSpec(
    "11",
    "MARITAL STATUS",
    "^DIC(11,",
    (
        free(".01", "NAME", "0;1", lo=3, hi=30, required=True, xrefs=("B",)),
        free("1", "ABBREVIATION", "0;2", lo=1, hi=1, xrefs=("C",)),
        codes(
            "2",
            "MARITAL STATUS CODE",
            "0;3",
            {
                "D": "DIVORCED",
                "M": "MARRIED",
                "N": "NEVER MARRIED",
                "S": "SEPARATED",
                "W": "WIDOWED",
                "U": "UNKNOWN",
            },
        ),
    ),
    flags="I",
)

RELIGION = FileSpec(
    "13",
    "RELIGION",
    "^DIC(13,",
    (
        free(".01", "NAME", "0;1", lo=3, hi=30, required=True, xrefs=("B",)),
        free("1", "ABBREVIATION", "0;2", lo=1, hi=4),
        codes(
            "2",
            "CLASSIFICATION",
            "0;3",
            {"1": "CATHOLIC", "2": "PROTESTANT", "3": "JEWISH", "4": "ORTHODOX", "5": "OTHER"},
        ),
        numeric("3", "CODE", "0;4", width=2, hi=99, xrefs=("C",)),
    ),
    flags="I",
)

NEW_PERSON = FileSpec(
    "200",
    "NEW PERSON",
    "^VA(200,",
    (
        free(".01", "NAME", "0;1", lo=3, hi=35, required=True, xrefs=("B",)),
        free("1", "INITIAL", "0;2", lo=2, hi=5, xrefs=("C",)),
        codes("7", "DISUSER", "0;7", {"0": "NO", "1": "YES"}),
        codes("4", "SEX", "1;2", {"M": "MALE", "F": "FEMALE"}),
        date_time("5", "DOB", "1;3", time=False),
        free("9", "SSN", "1;9", lo=9, hi=9, xrefs=("SSN",)),
        free(".132", "OFFICE PHONE", ".13;2", lo=4, hi=20),
        free(".151", "EMAIL ADDRESS", ".15;1", lo=3, hi=80),
        free("20.2", "SIGNATURE BLOCK PRINTED NAME", "20;2", lo=2, hi=40),
        free("20.3", "SIGNATURE BLOCK TITLE", "20;3", lo=2, hi=50),
        free("41.99", "NPI", "NPI;1", lo=10, hi=10, xrefs=("ANPI",)),
        codes("53.1", "AUTHORIZED TO WRITE MED ORDERS", "PS;1", {"1": "YES"}),
    ),
)

HOSPITAL_LOCATION = FileSpec(
    "44",
    "HOSPITAL LOCATION",
    "^SC(",
    (
        free(".01", "NAME", "0;1", lo=3, hi=30, required=True, xrefs=("B",)),
        free("1", "ABBREVIATION", "0;2", lo=1, hi=7, xrefs=("C",)),
        codes(
            "2",
            "TYPE",
            "0;3",
            {
                "C": "CLINIC",
                "M": "MODULE",
                "W": "WARD",
                "Z": "OTHER LOCATION",
                "N": "NON-CLINIC STOP",
                "F": "FILE AREA",
                "I": "IMAGING",
                "OR": "OPERATING ROOM",
            },
            required=True,
        ),
        codes(
            "9",
            "SERVICE",
            "0;8",
            {
                "M": "MEDICINE",
                "S": "SURGERY",
                "P": "PSYCHIATRY",
                "R": "REHAB MEDICINE",
                "N": "NEUROLOGY",
                "0": "NONE",
            },
            required=True,
        ),
        free("10", "PHYSICAL LOCATION", "0;11", lo=1, hi=25),
        pointer("16", "DEFAULT PROVIDER", "0;13", "200", "VA(200,"),
        codes("2502", "NON-COUNT CLINIC? (Y OR N)", "0;17", YES_NO_YN, required=True),
        free("99", "TELEPHONE", "99;1", lo=4, hi=20),
        numeric("1912", "LENGTH OF APP'T", "SL;1", width=3, lo=10, hi=240, required=True),
        codes(
            "1917",
            "DISPLAY INCREMENTS PER HOUR",
            "SL;6",
            {"1": "60-MIN ", "2": "30-MIN ", "4": "15-MIN ", "3": "20-MIN ", "6": "10-MIN"},
            required=True,
        ),
        date_time("2505", "INACTIVATE DATE", "I;1", time=False),
    ),
)

PATIENT = FileSpec(
    "2",
    "PATIENT",
    "^DPT(",
    (
        free(".01", "NAME", "0;1", lo=3, hi=30, required=True, xrefs=("B",)),
        codes(".02", "SEX", "0;2", {"M": "MALE", "F": "FEMALE"}, required=True),
        date_time(".03", "DATE OF BIRTH", "0;3", required=True, time=False),
        pointer(".05", "MARITAL STATUS", "0;5", "11", "DIC(11,", required=True),
        pointer(".06", "RACE", "0;6", "10", "DIC(10,"),
        pointer(".08", "RELIGIOUS PREFERENCE", "0;8", "13", "DIC(13,"),
        free(".09", "SOCIAL SECURITY NUMBER", "0;9", lo=9, hi=10, required=True, xrefs=("SSN",)),
        pointer(".104", "PROVIDER", ".104;1", "200", "VA(200,"),
        free(".111", "STREET ADDRESS [LINE 1]", ".11;1", lo=3, hi=35),
        free(".112", "STREET ADDRESS [LINE 2]", ".11;2", lo=3, hi=30),
        free(".114", "CITY", ".11;4", lo=2, hi=15),
        pointer(".115", "STATE", ".11;5", "5", "DIC(5,"),
        free(".116", "ZIP CODE", ".11;6", lo=5, hi=10),
        free(".131", "PHONE NUMBER [RESIDENCE]", ".13;1", lo=4, hi=20),
        free(".132", "PHONE NUMBER [WORK]", ".13;2", lo=4, hi=20),
        free(".133", "EMAIL ADDRESS", ".13;3", lo=3, hi=50),
        free(".134", "PHONE NUMBER [CELLULAR]", ".13;4", lo=4, hi=20),
        free(".2403", "MOTHER'S MAIDEN NAME", ".24;3", lo=2, hi=35),
        codes(".301", "SERVICE CONNECTED?", ".3;1", YES_NO_YN, required=True),
        numeric(".302", "SERVICE CONNECTED PERCENTAGE", ".3;2", width=3, hi=100),
        date_time(".351", "DATE OF DEATH", ".35;1"),
        numeric(
            "991.01",
            "INTEGRATION CONTROL NUMBER",
            "MPI;1",
            width=10,
            hi=9999999999,
            xrefs=("AICN",),
        ),
        free("991.02", "ICN CHECKSUM", "MPI;2", lo=6, hi=6),
    ),
    flags="I",
)

IHS_PATIENT = FileSpec(
    "9000001",
    "PATIENT/IHS",
    "^AUPNPAT(",
    (pointer(".01", "NAME", "0;1", "2", "DPT(", required=True, xrefs=("B",)),),
)

VITAL_TYPE = FileSpec(
    "120.51",
    "GMRV VITAL TYPE",
    "^GMRD(120.51,",
    (
        free(".01", "NAME", "0;1", lo=1, hi=30, required=True, xrefs=("B",)),
        free("1", "ABBREVIATION", "0;2", lo=1, hi=3, required=True, xrefs=("C",)),
        codes("3", "RATE", "0;4", {"0": "NO", "1": "YES"}),
        free("5", "RATE HELP", "0;6", lo=1, hi=60),
        free("7", "PCE ABBREVIATION", "0;7", lo=1, hi=3, xrefs=("APCE",)),
    ),
    flags="I",
)

VITAL_MEASUREMENT = FileSpec(
    "120.5",
    "GMRV VITAL MEASUREMENT",
    "^GMR(120.5,",
    (
        date_time(".01", "DATE/TIME VITALS TAKEN", "0;1", required=True, xrefs=("B",)),
        pointer(".02", "PATIENT", "0;2", "2", "DPT(", required=True, xrefs=("C",)),
        pointer(".03", "VITAL TYPE", "0;3", "120.51", "GMRD(120.51,", required=True, xrefs=("T",)),
        date_time(".04", "DATE/TIME VITALS ENTERED", "0;4", required=True),
        pointer(".05", "HOSPITAL LOCATION", "0;5", "44", "SC(", required=True),
        pointer(".06", "ENTERED BY", "0;6", "200", "VA(200,", required=True),
        free("1.2", "RATE", "0;8", lo=1, hi=12),
        free("1.4", "SUPPLEMENTAL O2", "0;10", lo=1, hi=15),
        codes("2", "ENTERED IN ERROR", "2;1", {"1": "YES"}),
        pointer("3", "ERROR ENTERED BY", "2;2", "200", "VA(200,"),
    ),
    flags="ID",
)

SIGN_SYMPTOMS = FileSpec(
    "120.83",
    "SIGN/SYMPTOMS",
    "^GMRD(120.83,",
    (free(".01", "NAME", "0;1", lo=2, hi=60, required=True, xrefs=("B",)),),
)

GMR_ALLERGIES = FileSpec(
    "120.82",
    "GMR ALLERGIES",
    "^GMRD(120.82,",
    (
        free(".01", "NAME", "0;1", lo=2, hi=60, required=True, xrefs=("B",)),
        free("1", "ALLERGY TYPE", "0;2", lo=1, hi=3, required=True, xrefs=("C",)),
        codes("2", "NATIONAL ALLERGY", "0;3", {"1": "NATIONAL ALLERGY"}),
    ),
    flags="I",
)

REACTIONS = FileSpec(
    "120.81",
    "REACTIONS",
    "",
    (
        pointer(".01", "REACTION", "0;1", "120.83", "GMRD(120.83,", xrefs=("B",), prefix="M"),
        free("1", "OTHER REACTION", "0;2", lo=1, hi=60),
        pointer("2", "ENTERED BY", "0;3", "200", "VA(200,"),
        date_time("3", "DATE ENTERED", "0;4"),
    ),
    parent="120.8",
)

PATIENT_ALLERGIES = FileSpec(
    "120.8",
    "PATIENT ALLERGIES",
    "^GMR(120.8,",
    (
        pointer(".01", "PATIENT", "0;1", "2", "DPT(", required=True, xrefs=("B",)),
        free(".02", "REACTANT", "0;2", lo=1, hi=60, required=True, xrefs=("C",)),
        variable("1", "GMR ALLERGY", "0;3", (("120.82", "GMR ALLERGIES", "G"),)),
        free("3.1", "ALLERGY TYPE", "0;20", lo=1, hi=3, required=True),
        date_time("4", "ORIGINATION DATE/TIME", "0;4", required=True, xrefs=("AODT",)),
        pointer("5", "ORIGINATOR", "0;5", "200", "VA(200,", required=True),
        codes(
            "6", "OBSERVED/HISTORICAL", "0;6", {"o": "OBSERVED", "h": "HISTORICAL"}, required=True
        ),
        multiple("10", "REACTIONS", "10", "120.81", "PA"),
        codes("15", "ORIGINATOR SIGN OFF", "0;12", YES_NO_10),
        codes("17", "MECHANISM", "0;14", {"A": "ALLERGY", "P": "PHARMACOLOGIC", "U": "UNKNOWN"}),
        codes("19", "VERIFIED", "0;16", YES_NO_10),
        date_time("20", "VERIFICATION DATE/TIME", "0;17", xrefs=("V",)),
        pointer("21", "VERIFIER", "0;18", "200", "VA(200,"),
        codes("22", "ENTERED IN ERROR", "ER;1", {"1": "YES"}),
    ),
    subfiles=(REACTIONS,),
)

VISIT = FileSpec(
    "9000010",
    "VISIT",
    "^AUPNVSIT(",
    (
        date_time(".01", "VISIT/ADMIT DATE&TIME", "0;1", required=True, xrefs=("B",)),
        date_time(".02", "DATE VISIT CREATED", "0;2", required=True),
        codes(
            ".03",
            "TYPE",
            "0;3",
            {
                "I": "IHS",
                "C": "CONTRACT",
                "T": "TRIBAL",
                "O": "OTHER",
                "6": "638 PROGRAM",
                "V": "VA",
            },
            required=True,
        ),
        pointer(".05", "PATIENT NAME", "0;5", "9000001", "AUPNPAT(", required=True, xrefs=("C",)),
        codes(
            ".07",
            "SERVICE CATEGORY",
            "0;7",
            {
                "A": "AMBULATORY",
                "H": "HOSPITALIZATION",
                "I": "IN HOSPITAL",
                "C": "CHART REVIEW",
                "T": "TELECOMMUNICATIONS",
                "N": "NOT FOUND",
                "S": "DAY SURGERY",
                "O": "OBSERVATION",
                "E": "EVENT (HISTORICAL)",
                "R": "NURSING HOME",
                "D": "DAILY HOSPITALIZATION DATA",
                "X": "ANCILLARY PACKAGE DAILY DATA",
            },
        ),
        date_time(".18", "CHECK OUT DATE&TIME", "0;18"),
        pointer(".22", "HOSPITAL LOCATION", "0;22", "44", "SC("),
        pointer(".23", "CREATED BY USER", "0;23", "200", "VA(200,"),
        free("15001", "VISIT ID", "150;1", lo=1, hi=20, required=True, xrefs=("VID",)),
        codes("15002", "PATIENT STATUS IN/OUT", "150;2", {"1": "IN", "0": "OUT"}),
    ),
)

ICD_DIAGNOSIS = FileSpec(
    "80",
    "ICD DIAGNOSIS",
    "^ICD9(",
    (
        free(".01", "CODE NUMBER", "0;1", lo=3, hi=8, required=True, xrefs=("B",)),
        free("3", "DIAGNOSIS", "0;3", lo=2, hi=250),
    ),
)

PROVIDER_NARRATIVE = FileSpec(
    "9999999.27",
    "PROVIDER NARRATIVE",
    "^AUTNPOV(",
    (free(".01", "NARRATIVE", "0;1", lo=2, hi=160, required=True, xrefs=("B",)),),
)

PROBLEM = FileSpec(
    "9000011",
    "PROBLEM",
    "^AUPNPROB(",
    (
        pointer(".01", "DIAGNOSIS", "0;1", "80", "ICD9(", required=True, xrefs=("B",)),
        pointer(".02", "PATIENT NAME", "0;2", "9000001", "AUPNPAT(", required=True, xrefs=("AC",)),
        date_time(".03", "DATE LAST MODIFIED", "0;3", required=True, time=False),
        pointer(".05", "PROVIDER NARRATIVE", "0;5", "9999999.27", "AUTNPOV(", required=True),
        numeric(".07", "NMBR", "0;7", width=7, decimals=2, hi=9999, required=True),
        date_time(".08", "DATE ENTERED", "0;8", required=True, time=False),
        codes(".12", "STATUS", "0;12", {"A": "ACTIVE", "I": "INACTIVE"}, required=True),
        date_time(".13", "DATE OF ONSET", "0;13", time=False),
        codes("1.02", "CONDITION", "1;2", {"T": "TRANSCRIBED", "P": "PERMANENT", "H": "HIDDEN"}),
        pointer("1.03", "ENTERED BY", "1;3", "200", "VA(200,"),
        pointer("1.04", "RECORDING PROVIDER", "1;4", "200", "VA(200,"),
        pointer("1.05", "RESPONSIBLE PROVIDER", "1;5", "200", "VA(200,"),
        date_time("1.07", "DATE RESOLVED", "1;7", time=False),
        pointer("1.08", "CLINIC", "1;8", "44", "SC("),
        codes("1.14", "PRIORITY", "1;14", {"A": "ACUTE", "C": "CHRONIC"}),
    ),
)

DRUG = FileSpec(
    "50",
    "DRUG",
    "^PSDRUG(",
    (
        free(".01", "GENERIC NAME", "0;1", lo=1, hi=40, required=True, xrefs=("B",)),
        free("2", "VA CLASSIFICATION", "0;2", lo=1, hi=5),
    ),
)

PRESCRIPTION = FileSpec(
    "52",
    "PRESCRIPTION",
    "^PSRX(",
    (
        free(".01", "RX #", "0;1", lo=1, hi=20, required=True, xrefs=("B",)),
        date_time("1", "ISSUE DATE", "0;13", required=True, time=False),
        pointer("2", "PATIENT", "0;2", "2", "DPT(", required=True),
        pointer("4", "PROVIDER", "0;4", "200", "VA(200,", required=True),
        pointer("5", "CLINIC", "0;5", "44", "SC("),
        pointer("6", "DRUG", "0;6", "50", "PSDRUG(", required=True),
        numeric("7", "QTY", "0;7", width=12, decimals=2, lo=0.01, hi=99999999, required=True),
        numeric("8", "DAYS SUPPLY", "0;8", width=3, lo=1, hi=90, required=True),
        numeric("9", "# OF REFILLS", "0;9", width=2, hi=11, required=True),
        free("10", "SIG", "SIG;1", lo=1, hi=245),
        date_time("22", "FILL DATE", "2;2", required=True, time=False),
        date_time("26", "EXPIRATION DATE", "2;6", time=False),
        codes(
            "100",
            "STATUS",
            "STA;1",
            {
                "0": "ACTIVE",
                "1": "NON-VERIFIED",
                "3": "HOLD",
                "5": "SUSPENDED",
                "11": "EXPIRED",
                "12": "DISCONTINUED",
                "13": "DELETED",
                "14": "DISCONTINUED BY PROVIDER",
                "15": "DISCONTINUED (EDIT)",
                "16": "PROVIDER HOLD",
            },
            required=True,
        ),
    ),
)

PRESCRIPTION_PROFILE = FileSpec(
    "55.03",
    "PRESCRIPTION PROFILE",
    "",
    (pointer(".01", "PRESCRIPTION PROFILE", "0;1", "52", "PSRX(", xrefs=("B",), prefix="M"),),
    parent="55",
)

PHARMACY_PATIENT = FileSpec(
    "55",
    "PHARMACY PATIENT",
    "^PS(55,",
    (
        pointer(".01", "NAME", "0;1", "2", "DPT(", required=True, xrefs=("B",)),
        multiple("52", "PRESCRIPTION PROFILE", "P", "55.03", "PA"),
    ),
    subfiles=(PRESCRIPTION_PROFILE,),
)

#: Every demo file in the order the generator fills them (pointer targets first).
DEMO_FILES: tuple[FileSpec, ...] = (
    STATE,
    RACE,
    MARITAL_STATUS,
    RELIGION,
    NEW_PERSON,
    HOSPITAL_LOCATION,
    PATIENT,
    IHS_PATIENT,
    VITAL_TYPE,
    VITAL_MEASUREMENT,
    SIGN_SYMPTOMS,
    GMR_ALLERGIES,
    PATIENT_ALLERGIES,
    VISIT,
    ICD_DIAGNOSIS,
    PROVIDER_NARRATIVE,
    PROBLEM,
    DRUG,
    PRESCRIPTION,
    PHARMACY_PATIENT,
)
