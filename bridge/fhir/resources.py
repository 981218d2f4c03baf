"""What this server serves, per resource type: the read, the candidates a search starts from,
and the search parameters with their types and extractors.

The candidates come from the clinical layer's indexes (the "B" index for names, the per-patient
cross-references); :mod:`bridge.fhir.matching` then checks every criterion on the mapped JSON.
Searches of patient-scoped types need ``patient`` (or ``_id``), as VistA finds those records
only through the patient; asking without it is a 400 that says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bridge.clinical.models import Patient
from bridge.clinical.repository import Clinical
from bridge.errors import BadQueryError, NotFoundError
from bridge.fhir import matching as m
from bridge.fhir import profiles
from bridge.fhir.errors import InvalidSearchError, ResourceNotFoundError
from bridge.fhir.mapping import clinical as mc
from bridge.fhir.mapping import people, vitals
from bridge.fhir.mapping.common import Json, MappingContext
from bridge.fhir.params import ParamType, SearchQuery, Token

ADMIN_GENDER = "http://hl7.org/fhir/administrative-gender"
MR_INTENT = "http://hl7.org/fhir/CodeSystem/medicationrequest-intent"
MR_STATUS = "http://hl7.org/fhir/CodeSystem/medicationrequest-status"


@dataclass(frozen=True, slots=True)
class Param:
    type: ParamType
    extract: m.Extractor
    doc: str


@dataclass(frozen=True, slots=True)
class ResourceDef:
    """One resource type: how to read it, where a search starts, what it can be searched by."""

    type: str
    profiles: tuple[str, ...]
    params: dict[str, Param]
    read: Callable[[Clinical, MappingContext, str], Json]
    candidates: Callable[[Clinical, MappingContext, SearchQuery], Iterable[Json]]
    combinations: tuple[tuple[str, ...], ...] = field(default=())


def _one(query: SearchQuery, name: str, *, any_system: bool = False) -> str | None:
    """The single value of a parameter given once with one value (usable for an index).

    A token's system is checked afterwards by the matcher; ``any_system`` lets the index see
    the code of ``system|code`` (identifiers: the DFN, SSN and ICN indexes)."""
    crit = query.get(name)
    if len(crit) == 1 and len(crit[0].values) == 1 and crit[0].modifier == "":
        value = crit[0].values[0]
        if isinstance(value, Token):
            return value.code if any_system or value.system in (None, "") else None
        return value if isinstance(value, str) else None
    return None


def _page_size(query: SearchQuery) -> int:
    """How many candidates to ask the index for at a time: enough for the page the search
    returns (plus one, to know whether there is a next page) when no filter drops any."""
    return max(1, min(200, query.offset + query.count + 1))


def _read(
    getter: Callable[[Clinical, str], Any],
    mapper: Callable[[Any, MappingContext], Json],
    rtype: str,
) -> Callable[[Clinical, MappingContext, str], Json]:
    def read(clinical: Clinical, ctx: MappingContext, rid: str) -> Json:
        try:
            record = getter(clinical, rid)
        except (NotFoundError, BadQueryError):
            raise ResourceNotFoundError(f"{rtype}/{rid} does not exist") from None
        return mapper(record, ctx)

    return read


def _by_id(
    rdef_read: Callable[[Clinical, MappingContext, str], Json],
    clinical: Clinical,
    ctx: MappingContext,
    query: SearchQuery,
) -> Iterator[Json] | None:
    crit = query.get("_id")
    if not crit:
        return None
    ids = [str(v) if not isinstance(v, Token) else v.code for v in crit[0].values]

    def gen() -> Iterator[Json]:
        for rid in ids:
            try:
                yield rdef_read(clinical, ctx, rid)
            except ResourceNotFoundError:
                continue

    return gen()


def _patient_ids(query: SearchQuery, rtype: str) -> list[str]:
    crit = query.get("patient")
    if not crit:
        raise InvalidSearchError(
            f"{rtype} searches need the patient parameter (patient=<Patient id>)"
        )
    # AND of occurrences: the ids common to all of them.
    common = set(str(v) for v in crit[0].values)
    for c in crit[1:]:
        common &= {str(v) for v in c.values}
    return sorted(common, key=lambda s: (len(s), s))


def _per_patient(
    lister: Callable[[Clinical, str], list[Any]],
    mapper: Callable[[Any, MappingContext], Json],
    rtype: str,
    keep: Callable[[Any], bool] = lambda _: True,
) -> Callable[[Clinical, MappingContext, SearchQuery], Iterable[Json]]:
    def candidates(clinical: Clinical, ctx: MappingContext, query: SearchQuery) -> Iterator[Json]:
        for dfn in _patient_ids(query, rtype):
            try:
                records = lister(clinical, dfn)
            except (NotFoundError, BadQueryError):
                continue  # a patient that is not there has no records: an empty result
            for r in records:
                if keep(r):
                    yield mapper(r, ctx)

    return candidates


# -- Patient, Practitioner, Location -------------------------------------------------------
class _MappedPatients:
    """The US Core Patient of a :class:`Patient` instance, mapped once while it is current.

    ``Clinical`` hands back the same (frozen) Patient instance for as long as the entry's
    nodes are unchanged, so an identical instance and mapping context mean an identical
    resource: a search page of ten patients then costs ten index steps and entry reads, not
    ten mappings. A changed entry is a new instance, hence a miss. The resources are shared
    between responses: nothing may modify one (the API only serializes them)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._memo: dict[str, tuple[Patient, MappingContext, Json]] = {}

    def __call__(self, p: Patient, ctx: MappingContext) -> Json:
        hit = self._memo.get(p.ien)
        if hit is not None and hit[0] is p and hit[1] is ctx:
            return hit[2]
        out = people.patient(p, ctx)
        if self.size <= 0:
            return out
        if len(self._memo) >= self.size:
            del self._memo[next(iter(self._memo))]  # the oldest: a bounded memo
        self._memo[p.ien] = (p, ctx, out)
        return out


patient_resource = _MappedPatients()
_read_patient = _read(Clinical.get_patient, patient_resource, "Patient")


def _patient_candidates(
    clinical: Clinical, ctx: MappingContext, query: SearchQuery
) -> Iterator[Json]:
    by_id = _by_id(_read_patient, clinical, ctx, query)
    if by_id is not None:
        yield from by_id
        return
    identifier = _one(query, "identifier", any_system=True)
    crit = query.get("identifier")
    token = crit[0].values[0] if identifier is not None else None
    if isinstance(token, Token) and token.system == ctx.dfn_system:
        # the DFN is the entry's IEN: read it, no index needed
        try:
            found = _read_patient(clinical, ctx, token.code)
        except ResourceNotFoundError:
            return
        yield found
        return
    name = _one(query, "name")
    if name and identifier is None:
        # Walk the "B" index lazily, in name order as a VistA lookup lists them, so a page
        # costs the entries it shows, not every patient whose name starts with the prefix.
        # a first chunk the size of the page (a page of one reads a handful of index nodes)
        for dfn in walk_b_index(clinical, "2", name.upper(), chunk=_chunk(query)):
            try:
                yield patient_resource(clinical.get_patient(dfn), ctx)
            except (NotFoundError, BadQueryError):
                continue  # a dangling index entry: skip it, as DIC would
        return
    cursor: str | None = None
    limit = _page_size(query)
    while True:
        try:
            page = clinical.search_patients(
                name=name,
                identifier=identifier,
                cursor=cursor,
                limit=limit,
            )
        except BadQueryError:
            return
        for p in page.items:
            yield patient_resource(p, ctx)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _chunk(query: SearchQuery) -> int:
    """How many "B" index nodes to read at a time for a page: the page and one more (whether
    there is a next page), within 8..64."""
    return max(8, min(64, _page_size(query) + 1))


def walk_b_index(clinical: Clinical, file: str, prefix: str, chunk: int = 64) -> Iterator[str]:
    """IENs of ``file`` whose "B" value starts with ``prefix``, in "B" order, lazily, as DIC's
    lookup walks the index. The index nodes (``^ROOT("B",value,ien)``) come in bulk reads of
    ``chunk`` nodes, not one $ORDER per value and IEN. FileMan keeps 30 characters there."""
    store = clinical.store
    layout = clinical.reader.layout(file)  # the dictionary, read once per file
    gname, subs = layout.name, layout.subs
    index = (*subs, "B")
    first = prefix[:30]
    # the first value >= prefix: $ORDER from the value just before it
    value = store.next_subscript(gname, index, store.prev_subscript(gname, index, first))
    if value is None or not value.startswith(first):
        return
    after: tuple[str, ...] = (*index, value)  # its IEN nodes follow it in $QUERY order
    seen: set[str] = set()
    depth = len(index)
    while True:
        nodes = store.read_subtree(gname, index, after=after, limit=chunk)
        for node, _ in nodes:
            if len(node) != depth + 2:
                continue
            if not node[depth].startswith(first):
                return
            if node[depth + 1] not in seen:  # a name under two B values lists once
                seen.add(node[depth + 1])
                yield node[depth + 1]
        if len(nodes) < chunk:
            return
        after = nodes[-1][0]


def _listing(
    lister: Callable[..., Any],
    mapper: Callable[[Any, MappingContext], Json],
    rdef_read: Callable[[Clinical, MappingContext, str], Json],
    b_index_file: str | None = None,
) -> Callable[[Clinical, MappingContext, SearchQuery], Iterable[Json]]:
    """Candidates of a whole-file listing; with ``b_index_file``, a single ``name`` value
    walks that file's "B" index instead (NEW PERSON holds thousands of entries at a site)."""

    def candidates(clinical: Clinical, ctx: MappingContext, query: SearchQuery) -> Iterator[Json]:
        by_id = _by_id(rdef_read, clinical, ctx, query)
        if by_id is not None:
            yield from by_id
            return
        name = _one(query, "name") if b_index_file else None
        if name and b_index_file:
            for ien in walk_b_index(clinical, b_index_file, name.upper(), chunk=_chunk(query)):
                try:
                    found = rdef_read(clinical, ctx, ien)
                except ResourceNotFoundError:
                    continue  # a dangling index entry
                yield found
            return
        cursor: str | None = None
        limit = _page_size(query)
        while True:
            page = lister(clinical, cursor=cursor, limit=limit)
            for item in page.items:
                yield mapper(item, ctx)
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    return candidates


# -- Encounter: by _id alone, or by patient ------------------------------------------------
_read_encounter = _read(Clinical.get_visit, mc.encounter, "Encounter")
_encounters_of = _per_patient(Clinical.visits, mc.encounter, "Encounter")


def _encounter_candidates(
    clinical: Clinical, ctx: MappingContext, query: SearchQuery
) -> Iterable[Json]:
    by_id = _by_id(_read_encounter, clinical, ctx, query)
    if by_id is not None:
        return by_id
    return _encounters_of(clinical, ctx, query)


def _read_vital(clinical: Clinical, ctx: MappingContext, rid: str) -> Json:
    try:
        v = clinical.get_vital(rid)
    except (NotFoundError, BadQueryError):
        raise ResourceNotFoundError(f"Observation/{rid} does not exist") from None
    if not vitals.supported(v):
        raise ResourceNotFoundError(f"Observation/{rid} does not exist")
    return vitals.observation(v, ctx)


_ID = Param("token", m.ident, "the resource id")
_PATIENT = "the patient (Patient/<id> or <id>)"
_OBS_PROFILES = tuple(sorted({k.profile for k in vitals.KINDS.values()}))

RESOURCES: dict[str, ResourceDef] = {
    "Patient": ResourceDef(
        "Patient",
        (profiles.PATIENT,),
        {
            "_id": _ID,
            "identifier": Param("token", m.identifiers, "DFN, ICN (system|value)"),
            "name": Param(
                "string",
                m.human_names,
                "start of a family or given name; candidates come from the B index, so a "
                "name search finds patients by the start of their FileMan name (FAMILY,GIVEN)",
            ),
            "birthdate": Param("date", m.date_of("birthDate"), "date of birth (with prefixes)"),
            "gender": Param("token", m.plain_code("gender", ADMIN_GENDER), "male|female|unknown"),
        },
        _read_patient,
        _patient_candidates,
        (("_id",), ("identifier",), ("name",), ("birthdate", "name"), ("gender", "name")),
    ),
    "Practitioner": ResourceDef(
        "Practitioner",
        (profiles.PRACTITIONER,),
        {
            "_id": _ID,
            "name": Param(
                "string", m.human_names, "start of the FileMan name (FAMILY,GIVEN), by the B index"
            ),
            "identifier": Param("token", m.identifiers, "NPI or DUZ (system|value)"),
        },
        _read(Clinical.get_provider, people.practitioner, "Practitioner"),
        _listing(
            Clinical.providers,
            people.practitioner,
            _read(Clinical.get_provider, people.practitioner, "Practitioner"),
            b_index_file="200",
        ),
        (("name",), ("identifier",)),
    ),
    "Location": ResourceDef(
        "Location",
        (profiles.LOCATION,),
        {
            "_id": _ID,
            "name": Param("string", m.strings("name", "alias"), "start of the name or alias"),
            "address": Param("string", m.addresses, "any part of the address"),
        },
        _read(Clinical.get_location, people.location, "Location"),
        _listing(
            Clinical.locations,
            people.location,
            _read(Clinical.get_location, people.location, "Location"),
        ),
        (("name",), ("address",)),
    ),
    "Encounter": ResourceDef(
        "Encounter",
        (profiles.ENCOUNTER,),
        {
            "_id": _ID,
            "patient": Param("reference", m.reference_to("subject"), _PATIENT),
            "date": Param("date", m.date_of("period"), "the visit's period (with prefixes)"),
        },
        _read_encounter,
        _encounter_candidates,
        (("_id",), ("patient",), ("date", "patient")),
    ),
    "Observation": ResourceDef(
        "Observation",
        _OBS_PROFILES,
        {
            "patient": Param("reference", m.reference_to("subject"), _PATIENT),
            "category": Param("token", m.concept_codes("category"), "vital-signs or survey"),
            "code": Param("token", m.concept_codes("code"), "LOINC code (http://loinc.org|code)"),
            "date": Param("date", m.date_of("effectiveDateTime"), "when taken (with prefixes)"),
        },
        _read_vital,
        _per_patient(Clinical.vitals, vitals.observation, "Observation", vitals.supported),
        (("patient", "category"), ("patient", "code"), ("patient", "category", "date")),
    ),
    "Condition": ResourceDef(
        "Condition",
        (profiles.CONDITION_PROBLEMS,),
        {
            "patient": Param("reference", m.reference_to("subject"), _PATIENT),
            "category": Param("token", m.concept_codes("category"), "problem-list-item"),
            "clinical-status": Param(
                "token", m.concept_codes("clinicalStatus"), "active|inactive|resolved"
            ),
        },
        _read(Clinical.get_problem, mc.condition, "Condition"),
        _per_patient(Clinical.problems, mc.condition, "Condition"),
        (("patient",), ("patient", "category")),
    ),
    "AllergyIntolerance": ResourceDef(
        "AllergyIntolerance",
        (profiles.ALLERGY,),
        {
            "patient": Param("reference", m.reference_to("patient"), _PATIENT),
            "clinical-status": Param("token", m.concept_codes("clinicalStatus"), "active"),
        },
        _read(Clinical.get_allergy, mc.allergy, "AllergyIntolerance"),
        _per_patient(Clinical.allergies, mc.allergy, "AllergyIntolerance"),
        (("patient",),),
    ),
    "MedicationRequest": ResourceDef(
        "MedicationRequest",
        (profiles.MEDICATION_REQUEST,),
        {
            "patient": Param("reference", m.reference_to("subject"), _PATIENT),
            "intent": Param("token", m.plain_code("intent", MR_INTENT), "order"),
            "status": Param("token", m.plain_code("status", MR_STATUS), "active, stopped..."),
        },
        _read(Clinical.get_medication, mc.medication_request, "MedicationRequest"),
        _per_patient(Clinical.medications, mc.medication_request, "MedicationRequest"),
        (("patient", "intent"), ("patient", "intent", "status")),
    ),
}
