"""The synthetic demo VistA: a deterministic, seeded generator written through the FileMan filer.

``generate_demo(store, patients=50, seed=...)`` writes the demo data dictionaries, the reference
files and N patients with their visits, vitals, allergies, problems and outpatient prescriptions.
Patient *i* depends only on the seed and *i* (each has its own random stream), so a 50-patient
demo is a prefix of a 100k one.  Everything is visibly synthetic: names ``ZZDEMO,PATIENT ...``,
SSNs ``000xxxxxx`` (never issued), phones in the fictional 555-01xx range, ``example.org`` mail.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bridge.demo import reference as ref
from bridge.demo.broker import write_broker_demo, write_broker_dictionaries
from bridge.demo.dictionary import write_dictionaries
from bridge.errors import BridgeFacadeError
from bridge.settings import DEFAULT_DEMO_SEED
from globals_map.fileman.filer import FieldValue, Filer, to_fm_date
from globals_map.store import GlobalStore

#: The demo's "today": clinical dates fall in the three years before it.
DEMO_TODAY = date(2026, 1, 1)
MAX_PATIENTS = 100_000
PROVIDERS = 24
_START = datetime(2023, 1, 2)
_SPAN_DAYS = (DEMO_TODAY - _START.date()).days - 10

_ONES = [
    "ZERO",
    "ONE",
    "TWO",
    "THREE",
    "FOUR",
    "FIVE",
    "SIX",
    "SEVEN",
    "EIGHT",
    "NINE",
    "TEN",
    "ELEVEN",
    "TWELVE",
    "THIRTEEN",
    "FOURTEEN",
    "FIFTEEN",
    "SIXTEEN",
    "SEVENTEEN",
    "EIGHTEEN",
    "NINETEEN",
]
_TENS = ["_", "_", "TWENTY", "THIRTY", "FORTY", "FIFTY", "SIXTY", "SEVENTY", "EIGHTY", "NINETY"]


_CONSONANTS = "BCDFGHJKLMNPQRSTVWXZ"


class DemoError(BridgeFacadeError):
    """The demo cannot be generated here (store not empty, bad patient count)."""


def ordinal_name(n: int) -> str:
    """``ONE``..``NINETY NINE`` for small n, then consonant codes (``CBB``): short, unique,
    and never a word or a real surname (no vowels)."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    letters = ""
    while n:
        n, r = divmod(n, len(_CONSONANTS))
        letters = _CONSONANTS[r] + letters
    return letters


@dataclass
class DemoSummary:
    """What a generation wrote, and how fast."""

    patients: int
    entries: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: CPU time of this process during the generation (wall time suffers on a busy machine).
    cpu_seconds: float = 0.0

    @property
    def total_entries(self) -> int:
        return sum(self.entries.values())

    @property
    def patients_per_second(self) -> float:
        return self.patients / self.seconds if self.seconds > 0 else 0.0

    @property
    def entries_per_second(self) -> float:
        return self.total_entries / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[int, int], None]


def generate_demo(
    store: GlobalStore,
    *,
    patients: int = 50,
    seed: int = DEFAULT_DEMO_SEED,
    progress: Progress | None = None,
) -> DemoSummary:
    """Write the demo VistA into an empty ``store``; ``progress(done, total)`` per chunk."""
    if not 0 <= patients <= MAX_PATIENTS:
        raise DemoError(f"patients must be between 0 and {MAX_PATIENTS}, not {patients}")
    if store.data("DPT") or store.data("DD", ("2",)):
        raise DemoError("the store already holds a PATIENT file; generate into an empty store")
    started = time.perf_counter()
    cpu_started = time.process_time()
    write_dictionaries(store)
    write_broker_dictionaries(store)
    gen = _Generator(Filer(store, today=DEMO_TODAY), seed)
    # The generator makes millions of small acyclic objects: the cycle collector would only
    # rescan them (about 8% of the time at 30k patients), so it is paused for the bulk load.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with gen.filer.batch():
            gen.reference()
            for i in range(1, patients + 1):
                gen.patient(i)
                if progress is not None and (i % 500 == 0 or i == patients):
                    progress(i, patients)
    finally:
        if collecting:
            gc.enable()
    write_broker_demo(gen.filer, gen.counts)  # what a broker client needs to sign on
    summary = DemoSummary(patients=patients, entries=gen.counts)
    summary.seconds = time.perf_counter() - started
    summary.cpu_seconds = time.process_time() - cpu_started
    return summary


def _fm(value: date | datetime) -> str:
    return to_fm_date(value)


class _Generator:
    def __init__(self, filer: Filer, seed: int) -> None:
        self.filer = filer
        self.seed = seed
        self.counts: dict[str, int] = {}
        self.states: list[str] = []
        self.races: list[str] = []
        self.marital: list[str] = []
        self.religions: list[str] = []
        self.providers: list[str] = []
        self.clinics: list[str] = []
        self.vital_types: dict[str, str] = {}
        self.allergens: list[tuple[str, str, str]] = []  # (ien, name, type)
        self.signs: list[str] = []
        self.icd: list[tuple[str, str, bool]] = []  # (icd ien, narrative ien, chronic)
        self.drugs: list[tuple[str, str, int]] = []  # (ien, sig, doses/day)
        self.rx_number = 100000
        self.visit_number = 0

    def add(self, file: str, values: Mapping[str, FieldValue], ien: str | None = None) -> str:
        self.counts[file] = self.counts.get(file, 0) + 1
        return self.filer.add(file, values, ien=ien)

    # -- reference files ------------------------------------------------------------------
    def reference(self) -> None:
        for name, abbr, code, capital in ref.STATES:
            values = {".01": name, "1": abbr, "2": code, "2.1": "0", "2.2": "1", "5": capital}
            self.states.append(self.add("5", values))
        for name, abbr, hl7, ptf in ref.RACES:
            values = {".01": name, "2": abbr, "3": hl7, "4": hl7, "5": ptf}
            self.races.append(self.add("10", values))
        for name, abbr, code in ref.MARITAL_STATUSES:
            self.marital.append(self.add("11", {".01": name, "1": abbr, "2": code}))
        for name, abbr, cls, number in ref.RELIGIONS:
            values = {".01": name, "1": abbr, "2": cls, "3": str(number)}
            self.religions.append(self.add("13", values))
        for n in range(1, PROVIDERS + 1):
            self.providers.append(self._provider(n))
        for name, abbr, kind, service, where, phone in ref.CLINICS:
            values = {
                ".01": name, "1": abbr, "2": kind, "9": service, "10": where, "99": phone,
                "16": self.providers[len(self.clinics) % PROVIDERS], "2502": "N",
                "1912": "30", "1917": "4",
            }  # fmt: skip
            self.clinics.append(self.add("44", values))
        for name, abbr, rate_help, pce in ref.VITAL_TYPES:
            values = {".01": name, "1": abbr, "3": "1", "5": rate_help, "7": pce}
            self.vital_types[abbr] = self.add("120.51", values)
        for sign in ref.SIGNS_SYMPTOMS:
            self.signs.append(self.add("120.83", {".01": sign}))
        for name, kind in ref.ALLERGENS:
            ien = self.add("120.82", {".01": name, "1": kind, "2": "1"})
            self.allergens.append((ien, name, kind))
        for code, text, chronic in ref.ICD_CODES:
            icd = self.add("80", {".01": code, "3": text})
            narrative = self.add("9999999.27", {".01": text.upper()[:160]})
            self.icd.append((icd, narrative, chronic))
        for name, va_class, sig, doses in ref.DRUGS:
            self.drugs.append((self.add("50", {".01": name, "2": va_class}), sig, doses))

    def _provider(self, n: int) -> str:
        rng = random.Random(f"{self.seed}:provider:{n}")
        title = ref.PROVIDER_TITLES[n % len(ref.PROVIDER_TITLES)]
        given = f"PROVIDER {ordinal_name(n)}"
        values = {
            ".01": f"ZZDEMO,{given}",
            "1": "ZP" + ordinal_name(n)[:3].replace(" ", ""),
            "4": rng.choice("MF"),
            "5": _fm(date(rng.randint(1955, 1990), rng.randint(1, 12), rng.randint(1, 28))),
            "7": "0",
            "9": f"000{900000 + n:06d}",
            ".132": f"555-555-01{n % 100:02d}",
            ".151": f"zzdemo.provider{n}@example.org",
            "20.2": f"{given} ZZDEMO",
            "20.3": title,
            "41.99": f"0{n:09d}",
            "53.1": "1" if title in {"PHYSICIAN", "NURSE PRACTITIONER"} else "",
        }
        return self.add("200", values)

    # -- one patient ----------------------------------------------------------------------
    def patient(self, i: int) -> None:
        rng = random.Random(f"{self.seed}:patient:{i}")
        dfn = self._demographics(i, rng)
        self.add("9000001", {".01": dfn}, ien=dfn)
        visits = self._visits(dfn, rng)
        self._vitals(dfn, visits, rng)
        self._allergies(dfn, rng)
        self._problems(dfn, visits, rng)
        rx = self._prescriptions(dfn, rng)
        pharmacy: dict[str, FieldValue] = {".01": dfn}
        if rx:
            pharmacy["52"] = [{".01": r} for r in rx]
        self.add("55", pharmacy, ien=dfn)

    def _demographics(self, i: int, rng: random.Random) -> str:
        sex = "M" if rng.random() < 0.8 else "F"
        dob = date(rng.randint(1938, 2004), rng.randint(1, 12), rng.randint(1, 28))
        service_connected = rng.random() < 0.35
        values: dict[str, FieldValue] = {
            ".01": f"ZZDEMO,PATIENT {ordinal_name(i)}",
            ".02": sex,
            ".03": _fm(dob),
            ".05": rng.choice(self.marital),
            ".06": rng.choice(self.races),
            ".08": rng.choice(self.religions),
            ".09": f"000{i:06d}",
            ".104": rng.choice(self.providers),
            ".111": f"{rng.randint(100, 9999)} {rng.choice(ref.STREETS)}",
            ".114": rng.choice(ref.CITIES),
            ".115": rng.choice(self.states),
            ".116": f"{rng.randint(10000, 99999)}",
            ".131": f"555-555-01{rng.randint(0, 99):02d}",
            ".134": f"555-555-01{rng.randint(0, 99):02d}",
            ".133": f"zzdemo.patient{i}@example.org",
            ".2403": "ZZDEMO",
            ".301": "Y" if service_connected else "N",
            ".302": str(rng.choice((10, 30, 50, 70, 100))) if service_connected else "",
            "991.01": str(9_990_000_000 + i),
            "991.02": f"{(i * 7919) % 1_000_000:06d}",
        }
        if rng.random() < 0.02:
            values[".351"] = _fm(_START + timedelta(days=rng.randint(0, _SPAN_DAYS)))
        return self.add("2", values)

    def _visits(self, dfn: str, rng: random.Random) -> list[tuple[datetime, str, str]]:
        out: list[tuple[datetime, str, str]] = []
        days = sorted(rng.sample(range(_SPAN_DAYS), rng.randint(1, 3)))
        for day in days:
            when = _START + timedelta(
                days=day, hours=rng.randint(8, 15), minutes=15 * rng.randint(0, 3)
            )
            clinic = rng.choice(self.clinics[:6])
            provider = rng.choice(self.providers)
            self.visit_number += 1
            self.add(
                "9000010",
                {
                    ".01": _fm(when), ".02": _fm(when), ".03": "V", ".05": dfn, ".07": "A",
                    ".18": _fm(when + timedelta(minutes=rng.choice((20, 30, 45)))),
                    ".22": clinic, ".23": provider,
                    "15001": f"ZZ{self.visit_number:08d}", "15002": "0",
                },
            )  # fmt: skip
            out.append((when, clinic, provider))
        return out

    def _vitals(
        self, dfn: str, visits: list[tuple[datetime, str, str]], rng: random.Random
    ) -> None:
        weight = rng.randint(125, 250)
        height = rng.randint(62, 76)
        systolic_base = rng.randint(110, 145)
        for n, (when, clinic, provider) in enumerate(visits):
            taken = when + timedelta(minutes=rng.randint(2, 12))
            systolic = systolic_base + rng.randint(-8, 8)
            readings = {
                "BP": f"{systolic}/{max(55, systolic - rng.randint(35, 55))}",
                "T": f"{rng.uniform(97.2, 99.4):.1f}",
                "P": str(rng.randint(58, 96)),
                "R": str(rng.randint(12, 20)),
                "WT": str(weight + rng.randint(-3, 3)),
                "PN": str(rng.choice((0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8))),
            }
            if n == 0:
                readings["HT"] = str(height)
            for abbr, value in readings.items():
                self.add(
                    "120.5",
                    {
                        ".01": _fm(taken), ".02": dfn, ".03": self.vital_types[abbr],
                        ".04": _fm(taken + timedelta(minutes=2)), ".05": clinic,
                        ".06": provider, "1.2": value,
                    },
                )  # fmt: skip

    def _allergies(self, dfn: str, rng: random.Random) -> None:
        count = rng.choice((0, 0, 1, 1, 1, 2, 3))
        for ien, name, kind in rng.sample(self.allergens, count):
            when = _START + timedelta(days=rng.randint(0, _SPAN_DAYS), hours=rng.randint(8, 16))
            reactions = rng.sample(self.signs, rng.randint(1, 2))
            provider = rng.choice(self.providers)
            self.add(
                "120.8",
                {
                    ".01": dfn, ".02": name, "1": f"{ien};GMRD(120.82,", "3.1": kind,
                    "4": _fm(when), "5": provider, "6": rng.choice("oh"), "15": "1",
                    "17": "A" if rng.random() < 0.8 else "P", "19": "1",
                    "20": _fm(when + timedelta(hours=1)), "21": provider,
                    "10": [{".01": r, "2": provider, "3": _fm(when)} for r in reactions],
                },
            )  # fmt: skip

    def _problems(
        self, dfn: str, visits: list[tuple[datetime, str, str]], rng: random.Random
    ) -> None:
        count = rng.choice((0, 1, 2, 2, 3, 4))
        for n, (icd, narrative, chronic) in enumerate(rng.sample(self.icd, count), start=1):
            onset = (_START + timedelta(days=rng.randint(0, _SPAN_DAYS))).date()
            entered = min(onset + timedelta(days=rng.randint(0, 30)), DEMO_TODAY)
            _when, clinic, provider = rng.choice(visits)
            values: dict[str, FieldValue] = {
                ".01": icd, ".02": dfn, ".03": _fm(entered), ".05": narrative, ".07": str(n),
                ".08": _fm(entered), ".12": "A", ".13": _fm(onset), "1.02": "P",
                "1.03": provider, "1.04": provider, "1.05": provider, "1.08": clinic,
                "1.14": "C" if chronic else "A",
            }  # fmt: skip
            if not chronic and rng.random() < 0.6:
                values[".12"] = "I"
                values["1.07"] = _fm(min(entered + timedelta(days=rng.randint(7, 90)), DEMO_TODAY))
            self.add("9000011", values)

    def _prescriptions(self, dfn: str, rng: random.Random) -> list[str]:
        out: list[str] = []
        for ien, sig, doses in rng.sample(self.drugs, rng.choice((0, 1, 2, 2, 3, 4))):
            issued = DEMO_TODAY - timedelta(days=rng.randint(5, 540))
            days = rng.choice((30, 90))
            expires = issued + timedelta(days=365)
            self.rx_number += 1
            values = {
                ".01": str(self.rx_number), "1": _fm(issued), "2": dfn,
                "4": rng.choice(self.providers), "5": rng.choice(self.clinics[:6]), "6": ien,
                "7": str(days * doses), "8": str(days),
                "9": str(rng.randint(0, 3) if days == 90 else rng.randint(0, 11)),
                "10": sig, "22": _fm(issued), "26": _fm(expires),
                "100": "0" if expires > DEMO_TODAY else "11",
            }  # fmt: skip
            out.append(self.add("52", values))
        return out
