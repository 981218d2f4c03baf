"""Reference entries of the demo VistA: states, races, marital statuses, religions, vital types,
allergens, reaction signs, clinics, ICD codes, drugs.

Public code lists (US states with their FIPS codes, CDC race codes, ICD-10-CM codes) and our own
choices; clinic and person names are visibly synthetic (``ZZ`` prefix, VistA's convention for
test entries).
"""

from __future__ import annotations

# (name, abbreviation, FIPS code as VA STATE CODE, capital)
STATES: tuple[tuple[str, str, str, str], ...] = (
    ("ALABAMA", "AL", "1", "MONTGOMERY"), ("ALASKA", "AK", "2", "JUNEAU"),
    ("ARIZONA", "AZ", "4", "PHOENIX"), ("ARKANSAS", "AR", "5", "LITTLE ROCK"),
    ("CALIFORNIA", "CA", "6", "SACRAMENTO"), ("COLORADO", "CO", "8", "DENVER"),
    ("CONNECTICUT", "CT", "9", "HARTFORD"), ("DELAWARE", "DE", "10", "DOVER"),
    ("DISTRICT OF COLUMBIA", "DC", "11", "WASHINGTON"), ("FLORIDA", "FL", "12", "TALLAHASSEE"),
    ("GEORGIA", "GA", "13", "ATLANTA"), ("HAWAII", "HI", "15", "HONOLULU"),
    ("IDAHO", "ID", "16", "BOISE"), ("ILLINOIS", "IL", "17", "SPRINGFIELD"),
    ("INDIANA", "IN", "18", "INDIANAPOLIS"), ("IOWA", "IA", "19", "DES MOINES"),
    ("KANSAS", "KS", "20", "TOPEKA"), ("KENTUCKY", "KY", "21", "FRANKFORT"),
    ("LOUISIANA", "LA", "22", "BATON ROUGE"), ("MAINE", "ME", "23", "AUGUSTA"),
    ("MARYLAND", "MD", "24", "ANNAPOLIS"), ("MASSACHUSETTS", "MA", "25", "BOSTON"),
    ("MICHIGAN", "MI", "26", "LANSING"), ("MINNESOTA", "MN", "27", "SAINT PAUL"),
    ("MISSISSIPPI", "MS", "28", "JACKSON"), ("MISSOURI", "MO", "29", "JEFFERSON CITY"),
    ("MONTANA", "MT", "30", "HELENA"), ("NEBRASKA", "NE", "31", "LINCOLN"),
    ("NEVADA", "NV", "32", "CARSON CITY"), ("NEW HAMPSHIRE", "NH", "33", "CONCORD"),
    ("NEW JERSEY", "NJ", "34", "TRENTON"), ("NEW MEXICO", "NM", "35", "SANTA FE"),
    ("NEW YORK", "NY", "36", "ALBANY"), ("NORTH CAROLINA", "NC", "37", "RALEIGH"),
    ("NORTH DAKOTA", "ND", "38", "BISMARCK"), ("OHIO", "OH", "39", "COLUMBUS"),
    ("OKLAHOMA", "OK", "40", "OKLAHOMA CITY"), ("OREGON", "OR", "41", "SALEM"),
    ("PENNSYLVANIA", "PA", "42", "HARRISBURG"), ("RHODE ISLAND", "RI", "44", "PROVIDENCE"),
    ("SOUTH CAROLINA", "SC", "45", "COLUMBIA"), ("SOUTH DAKOTA", "SD", "46", "PIERRE"),
    ("TENNESSEE", "TN", "47", "NASHVILLE"), ("TEXAS", "TX", "48", "AUSTIN"),
    ("UTAH", "UT", "49", "SALT LAKE CITY"), ("VERMONT", "VT", "50", "MONTPELIER"),
    ("VIRGINIA", "VA", "51", "RICHMOND"), ("WASHINGTON", "WA", "53", "OLYMPIA"),
    ("WEST VIRGINIA", "WV", "54", "CHARLESTON"), ("WISCONSIN", "WI", "55", "MADISON"),
    ("WYOMING", "WY", "56", "CHEYENNE"),
)  # fmt: skip

# (name, abbreviation, HL7/CDC code, PTF value) -- CDC Race & Ethnicity code set.
RACES: tuple[tuple[str, str, str, str], ...] = (
    ("AMERICAN INDIAN OR ALASKA NATIVE", "3", "1002-5", "3"),
    ("ASIAN", "A", "2028-9", "A"),
    ("BLACK OR AFRICAN AMERICAN", "9", "2054-5", "9"),
    ("NATIVE HAWAIIAN OR OTHER PACIFIC ISLANDER", "B", "2076-8", "B"),
    ("WHITE", "8", "2106-3", "8"),
    ("DECLINED TO ANSWER", "D", "0000-0", "D"),
    ("UNKNOWN BY PATIENT", "U", "9999-4", "U"),
)

# (name, abbreviation, code of field 2)
MARITAL_STATUSES: tuple[tuple[str, str, str], ...] = (
    ("DIVORCED", "D", "D"),
    ("MARRIED", "M", "M"),
    ("NEVER MARRIED", "N", "N"),
    ("SEPARATED", "S", "S"),
    ("WIDOWED", "W", "W"),
    ("UNKNOWN", "U", "U"),
)

# (name, abbreviation, classification code, code)
RELIGIONS: tuple[tuple[str, str, str, int], ...] = (
    ("CATHOLIC", "CATH", "1", 1),
    ("PROTESTANT, NO DENOMINATION", "PROT", "2", 2),
    ("JEWISH", "JEW", "3", 3),
    ("EASTERN ORTHODOX", "ORTH", "4", 4),
    ("BUDDHIST", "BUD", "5", 5),
    ("ISLAM", "ISL", "5", 6),
    ("NO PREFERENCE", "NONE", "5", 29),
    ("UNKNOWN/NO PREFERENCE", "UNK", "5", 30),
)

# (name, abbreviation, rate help, PCE abbreviation) -- the GMRV VITAL TYPE entries the demo uses.
VITAL_TYPES: tuple[tuple[str, str, str, str], ...] = (
    ("BLOOD PRESSURE", "BP", "SYSTOLIC/DIASTOLIC, E.G. 120/80", "BP"),
    ("TEMPERATURE", "T", "DEGREES FAHRENHEIT, 45-120", "TMP"),
    ("PULSE", "P", "BEATS PER MINUTE, 0-300", "PU"),
    ("RESPIRATION", "R", "BREATHS PER MINUTE, 0-100", "RS"),
    ("HEIGHT", "HT", "INCHES, 10-100", "HT"),
    ("WEIGHT", "WT", "POUNDS, 0-1500", "WT"),
    ("PAIN", "PN", "0-10, 99 UNABLE TO RESPOND", "PN"),
)

# (name, allergy type letters) -- GMR ALLERGIES entries.
ALLERGENS: tuple[tuple[str, str], ...] = (
    ("PENICILLIN", "D"), ("SULFONAMIDES", "D"), ("ASPIRIN", "D"), ("CODEINE", "D"),
    ("MORPHINE", "D"), ("IODINE", "D"), ("LISINOPRIL", "D"), ("LATEX", "O"),
    ("PEANUTS", "F"), ("SHELLFISH", "F"), ("EGGS", "F"), ("STRAWBERRIES", "F"),
    ("BEE STINGS", "O"), ("POLLEN", "O"), ("DUST", "O"), ("CHOCOLATE", "DF"),
)  # fmt: skip

SIGNS_SYMPTOMS: tuple[str, ...] = (
    "HIVES", "ITCHING,WATERING EYES", "RASH", "NAUSEA,VOMITING", "ANAPHYLAXIS", "WHEEZING",
    "ANGIOEDEMA", "DIARRHEA", "DIZZINESS", "COUGH", "SNEEZING", "HYPOTENSION",
)  # fmt: skip

# (name, abbreviation, type, service, physical location, phone)
CLINICS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("ZZDEMO PRIMARY CARE", "ZPC", "C", "M", "BLDG 1 RM 101", "555-0101"),
    ("ZZDEMO CARDIOLOGY", "ZCAR", "C", "M", "BLDG 1 RM 210", "555-0102"),
    ("ZZDEMO MENTAL HEALTH", "ZMH", "C", "P", "BLDG 2 RM 12", "555-0103"),
    ("ZZDEMO ORTHOPEDICS", "ZORT", "C", "S", "BLDG 3 RM 5", "555-0104"),
    ("ZZDEMO NEUROLOGY", "ZNEU", "C", "N", "BLDG 1 RM 330", "555-0105"),
    ("ZZDEMO PHYSICAL THERAPY", "ZPT", "C", "R", "BLDG 4 GYM", "555-0106"),
    ("ZZDEMO MEDICAL WARD", "ZMW", "W", "M", "BLDG 5 FLOOR 3", "555-0107"),
)

# (ICD-10-CM code, description, chronic?) -- public ICD-10-CM codes.
ICD_CODES: tuple[tuple[str, str, bool], ...] = (
    ("I10", "Essential (primary) hypertension", True),
    ("E11.9", "Type 2 diabetes mellitus without complications", True),
    ("E78.5", "Hyperlipidemia, unspecified", True),
    ("J45.909", "Unspecified asthma, uncomplicated", True),
    ("M54.50", "Low back pain, unspecified", False),
    ("F32.9", "Major depressive disorder, single episode, unspecified", False),
    ("K21.9", "Gastro-esophageal reflux disease without esophagitis", True),
    (
        "I25.10",
        "Atherosclerotic heart disease of native coronary artery without angina pectoris",
        True,
    ),
    ("J44.9", "Chronic obstructive pulmonary disease, unspecified", True),
    ("E66.9", "Obesity, unspecified", True),
    ("G47.33", "Obstructive sleep apnea (adult) (pediatric)", True),
    ("F43.10", "Post-traumatic stress disorder, unspecified", True),
    ("M17.11", "Unilateral primary osteoarthritis, right knee", True),
    ("H40.9", "Unspecified glaucoma", True),
    ("J06.9", "Acute upper respiratory infection, unspecified", False),
    ("N39.0", "Urinary tract infection, site not specified", False),
)

# (generic name, VA class, sig, doses per day) -- outpatient drugs.
DRUGS: tuple[tuple[str, str, str, int], ...] = (
    ("LISINOPRIL 10MG TAB", "CV800", "TAKE ONE TABLET BY MOUTH EVERY DAY", 1),
    ("METFORMIN HCL 500MG TAB", "HS502", "TAKE ONE TABLET BY MOUTH TWICE A DAY WITH MEALS", 2),
    ("ATORVASTATIN CALCIUM 20MG TAB", "CV350", "TAKE ONE TABLET BY MOUTH AT BEDTIME", 1),
    ("AMLODIPINE BESYLATE 5MG TAB", "CV200", "TAKE ONE TABLET BY MOUTH EVERY DAY", 1),
    ("OMEPRAZOLE 20MG EC CAP", "GA301", "TAKE ONE CAPSULE BY MOUTH EVERY MORNING", 1),
    ("SERTRALINE HCL 50MG TAB", "CN609", "TAKE ONE TABLET BY MOUTH EVERY DAY", 1),
    ("ALBUTEROL 90MCG/SPRAY INHL", "RE102", "INHALE 2 PUFFS BY MOUTH EVERY 6 HOURS AS NEEDED", 1),
    ("GABAPENTIN 300MG CAP", "CN400", "TAKE ONE CAPSULE BY MOUTH THREE TIMES A DAY", 3),
    ("LEVOTHYROXINE NA 0.05MG TAB", "HS851", "TAKE ONE TABLET BY MOUTH EVERY MORNING", 1),
    ("HYDROCHLOROTHIAZIDE 25MG TAB", "CV701", "TAKE ONE TABLET BY MOUTH EVERY MORNING", 1),
    ("METOPROLOL TARTRATE 25MG TAB", "CV100", "TAKE ONE TABLET BY MOUTH TWICE A DAY", 2),
    ("ASPIRIN 81MG EC TAB", "CN103", "TAKE ONE TABLET BY MOUTH EVERY DAY", 1),
    ("ACETAMINOPHEN 500MG TAB", "CN103", "TAKE TWO TABLETS BY MOUTH EVERY 6 HOURS AS NEEDED", 4),
)

PROVIDER_TITLES: tuple[str, ...] = (
    "PHYSICIAN", "NURSE PRACTITIONER", "PHYSICIAN ASSISTANT", "REGISTERED NURSE", "PHARMACIST",
)  # fmt: skip

STREETS: tuple[str, ...] = (
    "ZZDEMO AVE", "SAMPLE ST", "TEST LN", "EXAMPLE RD", "SYNTHETIC WAY", "MOCK BLVD",
    "PLACEHOLDER CT", "DEMO DR",
)  # fmt: skip

CITIES: tuple[str, ...] = (
    "SPRINGFIELD", "RIVERTON", "FAIRVIEW", "GREENVILLE", "FRANKLIN", "CLINTON", "MADISON",
    "GEORGETOWN", "ARLINGTON", "SALEM",
)  # fmt: skip
