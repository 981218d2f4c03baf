"""Clinical extraction: FileMan entries of the clinical files turned into pydantic models.

``Clinical`` reads one entry with one bulk subtree read (the store's fast path), takes its
fields at the node;piece the data dictionary gives (the real VistA layout, which the demo
dictionaries follow), resolves pointers to the target's .01 through a small cache, and finds a
patient's records through the files' traditional cross-references (VistA's own way):
``^GMR(120.5,"C",DFN,DA)``, ``^GMR(120.8,"B",DFN,DA)``, ``^AUPNVSIT("C",DFN,DA)``,
``^AUPNPROB("AC",DFN,DA)`` and ``^PS(55,DFN,"P",n,0)`` (the patient's prescription profile).
Paging uses opaque cursors (the last IEN returned).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

from bridge.clinical.entries import Entry, EntryReader, fm_date, fm_datetime
from bridge.clinical.models import (
    Address,
    Allergy,
    Location,
    Medication,
    Patient,
    Problem,
    Provider,
    Ref,
    Visit,
    Vital,
)
from bridge.errors import BadQueryError, NotFoundError
from globals_map.store import GlobalStore

T = TypeVar("T")
MAX_LIMIT = 1000

#: How many decoded patients ``Clinical`` keeps for reuse (each a few kB).
PATIENT_MEMO_SIZE = 4096

# The PATIENT (#2) fields ``Clinical._patient`` reads, in the order it unpacks them.
_PATIENT_FIELDS = (
    ".01",
    ".111",
    ".112",
    ".114",
    ".115",
    ".116",
    ".02",
    ".03",
    ".09",
    ".05",
    ".06",
    ".08",
    ".131",
    ".134",
    ".133",
    ".351",
    "991.01",
    "991.02",
    ".104",
)

# Units VistA shows for each vital type (GMRVUT0 prints these); keyed by 120.51 ABBREVIATION.
VITAL_UNITS = {
    "BP": "mm[Hg]",
    "T": "[degF]",
    "P": "/min",
    "R": "/min",
    "HT": "[in_i]",
    "WT": "[lb_av]",
    "PN": "{score}",
    "PO2": "%",
}


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; pass ``next_cursor`` back to get the next page (None: done)."""

    items: list[T] = field(default_factory=list)
    next_cursor: str | None = None


def _check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQueryError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    return limit


def _check_ien(ien: str, what: str) -> str:
    text = str(ien)
    if not text.isdigit() or text.startswith("0"):
        raise BadQueryError(f"{what} id must be a positive whole number")
    return text


def _cursor_ien(cursor: str | None) -> str | None:
    if cursor is None or cursor == "":
        return None
    if not cursor.isdigit():
        raise BadQueryError("cursor is malformed; pass back the next_cursor you were given")
    return cursor


class Clinical:
    """Read-only clinical views over a store holding VistA's clinical files."""

    def __init__(self, store: GlobalStore, *, memo_size: int = PATIENT_MEMO_SIZE) -> None:
        self.store = store
        self.reader = EntryReader(store)
        #: DFN -> (the entry's nodes, the Patient built from them); see ``_patient``.
        self._memo: dict[str, tuple[dict[str, str], Patient]] = {}
        self._memo_size = memo_size

    # -- patients -------------------------------------------------------------------------
    def patient_count(self) -> int:
        """How many patients the PATIENT file header says it holds (^DPT(0) piece 4)."""
        return self.reader.count("2")

    def get_patient(self, ien: str) -> Patient:
        """One patient by DFN; :class:`NotFoundError` when there is none."""
        entry = self.reader.entry("2", _check_ien(ien, "patient"))
        return self._patient(entry)

    def search_patients(
        self,
        *,
        name: str | None = None,
        birth_date: date | None = None,
        sex: str | None = None,
        identifier: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Patient]:
        """Patients matching every given criterion, in DFN order.

        ``name`` is a prefix of the FileMan name (``ZZDEMO,PAT`` or ``zzdemo``), found through
        the "B" index; ``identifier`` is a DFN, an SSN (with or without dashes) or an ICN;
        ``sex`` is M or F; ``birth_date`` an exact date.
        """
        limit = _check_limit(limit)
        after = _cursor_ien(cursor)
        if sex is not None and sex.upper() not in {"M", "F"}:
            raise BadQueryError("sex must be M or F")
        candidates = self._patient_candidates(name, identifier, after)
        items: list[Patient] = []
        for ien in candidates:
            if after is not None and int(ien) <= int(after):
                continue
            entry = self.reader.maybe_entry("2", ien)
            if entry is None:
                continue
            if name is not None and not entry.get(".01").upper().startswith(name.upper()):
                continue
            if sex is not None and entry.get(".02") != sex.upper():
                continue
            if birth_date is not None and fm_date(entry.get(".03")) != birth_date:
                continue
            if len(items) == limit:
                return Page(items, items[-1].ien)
            items.append(self._patient(entry))
        return Page(items, None)

    def _patient_candidates(
        self, name: str | None, identifier: str | None, after: str | None
    ) -> Iterator[str]:
        if identifier is not None:
            return iter(sorted(self._by_identifier(identifier), key=int))
        if name:
            return iter(sorted(self.reader.index_prefix("2", "B", name.upper()), key=int))
        return self.reader.iens("2", after=after)

    def _by_identifier(self, identifier: str) -> set[str]:
        text = identifier.strip()
        found: set[str] = set()
        if text.isdigit() and self.reader.exists("2", text):
            found.add(text)
        ssn = text.replace("-", "")
        if ssn.isdigit() and len(ssn) == 9:
            found.update(self.reader.index_exact("2", "SSN", ssn))
        if text and text.replace("V", "").isdigit():
            icn = text.split("V")[0]
            found.update(self.reader.index_exact("2", "AICN", icn))
        return found

    def _patient(self, e: Entry) -> Patient:
        """PATIENT (#2) entry -> Patient, reused while the entry's nodes are unchanged.

        The entry has just been read from the store; when its nodes equal the ones the memo
        holds for that DFN, the Patient built from them is returned again (it is frozen, and
        every value in it is immutable). Any change to the entry misses the memo, so this never
        serves stale patient data; pointer names were already cached per reader."""
        memo = self._memo.get(e.ien)
        if memo is not None and memo[0] == e.nodes:
            return memo[1]
        built = self._build_patient(e)
        if self._memo_size <= 0:
            return built
        if len(self._memo) >= self._memo_size:
            del self._memo[next(iter(self._memo))]  # the oldest entry: a bounded memo
        self._memo[e.ien] = (e.nodes, built)
        return built

    def _build_patient(self, e: Entry) -> Patient:
        """PATIENT (#2) entry -> Patient. Every search result goes through here, so the
        fields come from one decode plan and the models are built with ``trusted`` (no second
        validation): the values are already the declared types (strings from the store, dates
        from ``fm_date``, shared Ref/Coded instances); tests/bridge/test_clinical_decode.py
        pins the result against the field-by-field, validated construction."""
        r = self.reader
        (
            name,
            line1,
            line2,
            city,
            state,
            zip_code,
            sex,
            dob,
            ssn,
            marital,
            race,
            religion,
            phone_home,
            phone_cell,
            email,
            died,
            icn,
            icn_checksum,
            provider,
        ) = r.plan("2", _PATIENT_FIELDS).values(e)
        name = name or ""
        family, _, given = name.partition(",")
        state_name = r.name_of("5", state)
        state_abbreviation = r.ref_field_of("5", state, "0", 2)
        address = None
        if line1 or line2 or city or state_name or state_abbreviation or zip_code:
            address = Address.trusted(
                line1=line1,
                line2=line2,
                city=city,
                state=state_name,
                state_abbreviation=state_abbreviation,
                zip=zip_code,
            )
        return Patient.trusted(
            ien=e.ien,
            name=name,
            family_name=family,
            given_names=given,
            sex=r.coded("2", ".02", sex),
            birth_date=fm_date(dob),
            ssn=ssn,
            marital_status=r.ref("11", marital),
            race=r.ref("10", race),
            religion=r.ref("13", religion),
            address=address,
            phone_home=phone_home,
            phone_cell=phone_cell,
            email=email,
            date_of_death=fm_date(died),
            icn=_icn(icn, icn_checksum),
            primary_provider=r.ref("200", provider),
        )

    # -- per patient ----------------------------------------------------------------------
    def _patient_entries(self, file: str, index: str, dfn: str) -> list[Entry]:
        dfn = _check_ien(dfn, "patient")
        if not self.reader.exists("2", dfn):
            raise NotFoundError(f"patient {dfn} does not exist", file="2", ien=dfn)
        iens = sorted(self.reader.index_exact(file, index, dfn), key=int)
        return [e for e in (self.reader.maybe_entry(file, i) for i in iens) if e is not None]

    def vitals(self, patient_ien: str) -> list[Vital]:
        """The patient's vital measurements, oldest first (^GMR(120.5,"C",DFN))."""
        items = [self._vital(e) for e in self._patient_entries("120.5", "C", patient_ien)]
        return sorted(items, key=lambda v: (v.taken is None, v.taken, int(v.ien)))

    def allergies(self, patient_ien: str) -> list[Allergy]:
        """The patient's allergies (^GMR(120.8,"B",DFN))."""
        return [self._allergy(e) for e in self._patient_entries("120.8", "B", patient_ien)]

    def problems(self, patient_ien: str) -> list[Problem]:
        """The patient's problem list (^AUPNPROB("AC",DFN))."""
        return [self._problem(e) for e in self._patient_entries("9000011", "AC", patient_ien)]

    def visits(self, patient_ien: str) -> list[Visit]:
        """The patient's visits, oldest first (^AUPNVSIT("C",DFN))."""
        items = [self._visit(e) for e in self._patient_entries("9000010", "C", patient_ien)]
        return sorted(items, key=lambda v: (v.date_time is None, v.date_time, int(v.ien)))

    def medications(self, patient_ien: str) -> list[Medication]:
        """The patient's outpatient prescriptions, from the PHARMACY PATIENT "P" multiple."""
        dfn = _check_ien(patient_ien, "patient")
        if not self.reader.exists("2", dfn):
            raise NotFoundError(f"patient {dfn} does not exist", file="2", ien=dfn)
        rx_iens = self.reader.multiple_values("55", dfn, "52")
        entries = (self.reader.maybe_entry("52", rx) for rx in rx_iens)
        return [self._medication(e) for e in entries if e is not None]

    # -- by id (FHIR read) ----------------------------------------------------------------
    def get_vital(self, ien: str) -> Vital:
        return self._vital(self.reader.entry("120.5", _check_ien(ien, "vital")))

    def get_allergy(self, ien: str) -> Allergy:
        return self._allergy(self.reader.entry("120.8", _check_ien(ien, "allergy")))

    def get_problem(self, ien: str) -> Problem:
        return self._problem(self.reader.entry("9000011", _check_ien(ien, "problem")))

    def get_visit(self, ien: str) -> Visit:
        return self._visit(self.reader.entry("9000010", _check_ien(ien, "visit")))

    def get_medication(self, ien: str) -> Medication:
        return self._medication(self.reader.entry("52", _check_ien(ien, "prescription")))

    def get_provider(self, ien: str) -> Provider:
        return self._provider(self.reader.entry("200", _check_ien(ien, "provider")))

    def get_location(self, ien: str) -> Location:
        return self._location(self.reader.entry("44", _check_ien(ien, "location")))

    # -- providers and locations ------------------------------------------------------------
    def providers(
        self, *, name: str | None = None, cursor: str | None = None, limit: int = 50
    ) -> Page[Provider]:
        """NEW PERSON entries (optionally by name prefix), in IEN order."""
        return self._listing("200", self._provider, name, cursor, limit)

    def locations(
        self, *, name: str | None = None, cursor: str | None = None, limit: int = 50
    ) -> Page[Location]:
        """HOSPITAL LOCATION entries (optionally by name prefix), in IEN order."""
        return self._listing("44", self._location, name, cursor, limit)

    def _listing(
        self,
        file: str,
        build: Callable[[Entry], T],
        name: str | None,
        cursor: str | None,
        limit: int,
    ) -> Page[T]:
        limit = _check_limit(limit)
        after = _cursor_ien(cursor)
        if name:
            iens: Iterator[str] = iter(
                sorted(self.reader.index_prefix(file, "B", name.upper()), key=int)
            )
        else:
            iens = self.reader.iens(file, after=after)
        items: list[T] = []
        last: str | None = None
        for ien in iens:
            if after is not None and int(ien) <= int(after):
                continue
            entry = self.reader.maybe_entry(file, ien)
            if entry is None:
                continue
            if len(items) == limit:
                return Page(items, last)
            items.append(build(entry))
            last = ien
        return Page(items, None)

    # -- builders -------------------------------------------------------------------------
    def _provider(self, e: Entry) -> Provider:
        return Provider(
            ien=e.ien,
            name=e.get(".01"),
            initials=e.opt("1"),
            sex=self.reader.coded("200", "4", e.opt("4")),
            npi=e.opt("41.99"),
            title=e.opt("20.3"),
            email=e.opt(".151"),
            phone=e.opt(".132"),
            can_write_med_orders=e.opt("53.1") == "1",
            disabled=e.opt("7") == "1",
        )

    def _location(self, e: Entry) -> Location:
        return Location(
            ien=e.ien,
            name=e.get(".01"),
            abbreviation=e.opt("1"),
            type=self.reader.coded("44", "2", e.opt("2")),
            service=self.reader.coded("44", "9", e.opt("9")),
            phone=e.opt("99"),
            default_provider=self.reader.ref("200", e.opt("16")),
            inactive_since=fm_date(e.opt("2505")),
        )

    def _visit(self, e: Entry) -> Visit:
        return Visit(
            ien=e.ien,
            patient_ien=e.get(".05"),
            date_time=fm_datetime(e.opt(".01")),
            created=fm_datetime(e.opt(".02")),
            type=self.reader.coded("9000010", ".03", e.opt(".03")),
            service_category=self.reader.coded("9000010", ".07", e.opt(".07")),
            location=self.reader.ref("44", e.opt(".22")),
            created_by=self.reader.ref("200", e.opt(".23")),
            checked_out=fm_datetime(e.opt(".18")),
            visit_id=e.opt("15001"),
            patient_status=self.reader.coded("9000010", "15002", e.opt("15002")),
        )

    def _vital(self, e: Entry) -> Vital:
        type_ien = e.get(".03")
        abbreviation = self.reader.field_of("120.51", type_ien, "0", 2)
        return Vital(
            ien=e.ien,
            patient_ien=e.get(".02"),
            type=Ref(file="120.51", ien=type_ien, name=self.reader.name_of("120.51", type_ien)),
            abbreviation=abbreviation,
            value=e.get("1.2"),
            unit=VITAL_UNITS.get(abbreviation or ""),
            taken=fm_datetime(e.opt(".01")),
            entered=fm_datetime(e.opt(".04")),
            location=self.reader.ref("44", e.opt(".05")),
            entered_by=self.reader.ref("200", e.opt(".06")),
            entered_in_error=e.opt("2") == "1",
        )

    def _allergy(self, e: Entry) -> Allergy:
        reactions = [
            self.reader.name_of("120.83", r) or r
            for r in self.reader.multiple_values("120.8", e.ien, "10")
        ]
        return Allergy(
            ien=e.ien,
            patient_ien=e.get(".01"),
            reactant=e.get(".02"),
            allergen=self.reader.variable_ref(e.opt("1")),
            allergy_type=e.opt("3.1"),
            origination=fm_datetime(e.opt("4")),
            originator=self.reader.ref("200", e.opt("5")),
            observed_historical=self.reader.coded("120.8", "6", e.opt("6")),
            mechanism=self.reader.coded("120.8", "17", e.opt("17")),
            verified=e.opt("19") == "1",
            verification=fm_datetime(e.opt("20")),
            reactions=reactions,
            entered_in_error=e.opt("22") == "1",
        )

    def _problem(self, e: Entry) -> Problem:
        icd = e.opt(".01")
        return Problem(
            ien=e.ien,
            patient_ien=e.get(".02"),
            icd_code=self.reader.name_of("80", icd),
            icd_description=self.reader.field_of("80", icd, "0", 3),
            narrative=self.reader.name_of("9999999.27", e.opt(".05")),
            status=self.reader.coded("9000011", ".12", e.opt(".12")),
            onset=fm_date(e.opt(".13")),
            entered=fm_date(e.opt(".08")),
            last_modified=fm_date(e.opt(".03")),
            resolved=fm_date(e.opt("1.07")),
            priority=self.reader.coded("9000011", "1.14", e.opt("1.14")),
            recording_provider=self.reader.ref("200", e.opt("1.04")),
            clinic=self.reader.ref("44", e.opt("1.08")),
        )

    def _medication(self, e: Entry) -> Medication:
        qty = e.opt("7")
        days = e.opt("8")
        refills = e.opt("9")
        return Medication(
            ien=e.ien,
            patient_ien=e.get("2"),
            rx_number=e.get(".01"),
            drug=self.reader.ref("50", e.opt("6")),
            sig=e.opt("10"),
            quantity=float(qty) if qty else None,
            days_supply=int(days) if days and days.isdigit() else None,
            refills=int(refills) if refills and refills.isdigit() else None,
            issued=fm_date(e.opt("1")),
            fill_date=fm_date(e.opt("22")),
            expiration=fm_date(e.opt("26")),
            status=self.reader.coded("52", "100", e.opt("100")),
            provider=self.reader.ref("200", e.opt("4")),
            clinic=self.reader.ref("44", e.opt("5")),
        )


def _icn(icn: str | None, checksum: str | None) -> str | None:
    if not icn:
        return None
    return f"{icn}V{checksum}" if checksum else icn


__all__ = ["VITAL_UNITS", "Clinical", "Page"]
