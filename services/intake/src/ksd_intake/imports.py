"""Register import: the CSV or XLSX registers regions keep today, row by row, as ordinary submissions.

Each row is one agreement: an `agreement.propose`, plus `agreement.record_ksb` and
`agreement.record_pks` when the row has them. A row keeps its identity across uploads by the
region's own key for it (`row_key`: its Nomor Register Daerah, else its KSB number, else its PKS
number): the agreement id derives from the region and that key, so a row edited and uploaded again
changes the agreement it created (intake turns each changed step into a correction,
handlers.import_register) and an unchanged one changes nothing. A row with no key is known by its
content, as before. Pure functions here; the route streams the file through them in chunks.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from typing import IO, Any
from uuid import UUID, uuid5

from ksd_common.audience import served
from ksd_common.problems import Problem
from ksd_contracts import labels
from ksd_contracts.envelope import canonical_json
from ksd_contracts.language import say
from ksd_contracts.regions import autonomous_codes, regions
from ksd_intake.domain import Submission, parse

NAMESPACE = UUID("6f1d3c39-5b7e-4f57-9a55-3f0f1a0c2d11")
"""uuid5 namespace of imported agreements' ids."""

COLUMNS: dict[str, str] = {
    "no": "No",
    "register_key": "Nomor Register Daerah",
    "title": "Judul Kerja Sama",
    "kind": "Jenis",
    "parties": "Pihak/Mitra",
    "country": "Negara Mitra",
    "urusan": "Urusan",
    "initiated_on": "Tanggal Inisiasi",
    "ksb_number": "Nomor KSB",
    "ksb_date": "Tanggal KSB",
    "pks_number": "Nomor PKS",
    "pks_date": "Tanggal PKS",
    "start_on": "Tanggal Mulai",
    "end_on": "Tanggal Berakhir",
    "amount": "Nilai (Rp)",
    "source": "Sumber Dana",
    "signatory": "Penandatangan",
    "position": "Jabatan Penandatangan",
    "power_of_attorney": "Nomor Surat Kuasa",
    "legal_basis": "Dasar Hukum",
    "objects": "Objek Kerja Sama",
    "mandatory": "Sifat",
    "partner_category": "Kategori Mitra",
    "plan": "Dokumen Perencanaan",
    "program": "Program Perencanaan",
    "dprd_number": "Nomor Persetujuan DPRD",
    "dprd_date": "Tanggal Persetujuan DPRD",
    "kemendagri_number": "Nomor Persetujuan Kemendagri",
    "kemendagri_date": "Tanggal Persetujuan Kemendagri",
    "kemlu_number": "Nomor Persetujuan Kemlu",
    "kemlu_date": "Tanggal Persetujuan Kemlu",
}
"""The template's headers, by the field each fills."""

ALIASES: dict[str, str] = {
    "nomor": "no", "judul": "title", "judul kerjasama": "title", "nama kerja sama": "title",
    "jenis kerja sama": "kind", "jenis kerjasama": "kind", "pihak": "parties", "mitra": "parties",
    "para pihak": "parties", "negara": "country", "kode urusan": "urusan", "urusan pemerintahan": "urusan",
    "nomor mou": "ksb_number", "tanggal mou": "ksb_date", "no ksb": "ksb_number", "no pks": "pks_number",
    "tanggal mulai berlaku": "start_on", "tanggal selesai": "end_on", "tanggal akhir": "end_on",
    "nilai": "amount", "nilai rp": "amount", "anggaran": "amount", "objek": "objects",
    "nomor register": "register_key", "no register": "register_key", "kode register": "register_key",
}

MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "pebruari": 2, "maret": 3, "mar": 3, "april": 4, "apr": 4,
    "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8, "agu": 8, "agt": 8, "ags": 8,
    "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11, "nop": 11,
    "nopember": 11, "desember": 12, "des": 12,
}
KINDS = {
    "ksdd": "KSDD", "ksdpk": "KSDPK", "ksdpl": "KSDPL", "ksdll": "KSDLL", "sinergi": "Sinergi",
    "daerah lain": "KSDD", "antar daerah": "KSDD", "pihak ketiga": "KSDPK",
    "pemerintah daerah luar negeri": "KSDPL", "lembaga luar negeri": "KSDLL", "pusat": "Sinergi",
}
SOURCES = {"apbd": "apbd", "apbn": "apbn", "pihak ketiga": "pihak_ketiga", "swasta": "pihak_ketiga",
           "hibah": "hibah"}
STEP_TYPES = ("agreement.propose", "agreement.record_ksb", "agreement.record_pks")

FIELD_COLUMNS: dict[str, dict[str, str]] = {
    "agreement.propose": {"title": "title", "kind": "kind", "parties": "parties", "urusan": "urusan",
                          "initiated_on": "initiated_on", "objects": "objects", "mandatory": "mandatory",
                          "parties.category": "partner_category"},
    "agreement.record_dprd_approval": {"decision_number": "dprd_number", "approved_on": "dprd_date"},
    **{f"agreement.record_central_approval#{a}": {"letter_number": f"{a}_number", "approved_on": f"{a}_date"}
       for a in ("kemendagri", "kemlu")},
    "agreement.record_ksb": {"document.number": "ksb_number", "document.signed_on": "ksb_date",
                             "document.signatories": "signatory"},
    "agreement.record_pks": {"document.number": "pks_number", "document.signed_on": "pks_date",
                             "document.signatories": "signatory", "start_on": "start_on", "end_on": "end_on",
                             "legal_basis": "legal_basis",
                             "funding": "amount", "funding.source": "source", "funding.plan": "plan",
                             "funding.program": "program", "objects": "objects"},
}
"""Which column a model field came from, so a failed rule names the column the user typed in."""


def normalize_header(text: Any) -> str:
    """`Nilai (Rp)` -> `nilai rp`; the field it fills, when it is one we know."""
    words = re.sub(r"[^0-9a-z/ ]+", " ", str(text or "").lower()).replace("/", " ").split()
    return " ".join(words)


@cache
def _header_fields() -> dict[str, str]:
    known = {normalize_header(header): name for name, header in COLUMNS.items()}
    known |= {normalize_header(alias): name for alias, name in ALIASES.items()}
    return known


def header_field(text: Any) -> str | None:
    return _header_fields().get(normalize_header(text))


@dataclass
class RowError:
    column: str
    code: str
    msg: str

    def json(self) -> dict[str, str]:
        return {"column": self.column, "code": self.code, "msg": self.msg}


@dataclass
class PlannedRow:
    """One register row: the submissions it becomes (key, submission), or why it cannot."""

    number: int
    agreement_id: UUID | None = None
    submissions: list[tuple[str, Submission]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    row_keys: list[str] = field(default_factory=list)
    """The region's own keys for the row (`register:`, `ksb:`, `pks:` and the number), first first."""
    legacy_id: UUID | None = None
    """The id the row's content gave before rows had keys: a keyed row imported then keeps it."""
    content_key: str = ""
    """`import:<row digest>`: the key prefix of its steps before rows had keys."""
    unchanged: list[tuple[str, UUID, str]] = field(default_factory=list)
    """Steps uploaded before as they are now: (type, that submission's id, its status)."""

    def rebound(self, agreement_id: UUID) -> None:
        """The same submissions, for the agreement the row turned out to be."""
        self.agreement_id = agreement_id
        self.submissions = [(key, replace(s, data=s.data.model_copy(update={"agreement_id": agreement_id})))
                            for key, s in self.submissions]


def row_keys(row: dict[str, Any]) -> list[str]:
    """The region's own keys for a row: its register number, its KSB number, its PKS number (the
    template says so). A row found by any of them is the same row: one that gains a PKS number, or
    whose KSB number's typo is fixed under the same register number, keeps its agreement."""
    return [f"{prefix}:{value.upper()}"
            for name, prefix in (("register_key", "register"), ("ksb_number", "ksb"), ("pks_number", "pks"))
            if (value := " ".join(str(row.get(name) or "").split()))]


def key_column(row_key: str) -> str:
    """The template's column a row key came from."""
    return COLUMNS[{"register": "register_key", "ksb": "ksb_number", "pks": "pks_number"}[row_key.partition(":")[0]]]


def step_key(agreement_id: UUID, submission: Submission) -> str:
    """A keyed row's step, by its agreement, type and content: the same step uploaded again is the
    same submission; a changed one is another (`handlers` makes it a correction)."""
    digest = hashlib.sha256(canonical_json(submission.payload())).hexdigest()[:32]
    return f"import:{agreement_id}:{slot(submission)}:{digest}"


def step_of_key(key: str) -> tuple[str, str] | None:
    """(step slot, content digest) of a keyed row's step or of its correction; None for a key of the
    content-known form (`import:<row digest>:<type>`)."""
    parts = key.split(":")
    return (parts[2], parts[3]) if len(parts) >= 4 and parts[0] == "import" else None


# ---------------------------------------------------------------- reading the file, streaming


def rows_of(upload: IO[bytes], filename: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number as the user sees it, {field: value}) for each non-empty row, read lazily."""
    head = upload.read(4)
    upload.seek(0)
    if head.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        return _rows(_xlsx_rows(upload))
    return _rows(_csv_rows(upload))


def _rows(raw: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, dict[str, Any]]]:
    header: list[str | None] | None = None
    for number, cells in raw:
        if not any(_blank(c) is False for c in cells):
            continue
        if header is None:
            header = [header_field(c) for c in cells]
            if "title" not in header:
                template = served("intake", "/v1/imports/template.xlsx")
                raise Problem(422, "validation", say("Bukan register", "Not a register"),
                              say("Baris pertama tidak memuat kolom `Judul Kerja Sama`.",
                                  "The first row has no column `Judul Kerja Sama`."),
                              [{"loc": ["file", "header"], "code": "header", "see": template, "msg": say(
                                  f"baris pertama yang berisi harus judul kolom (unduh templat: {template})",
                                  f"the first row with content must be the column titles (the template: {template})",
                              )}])
            continue
        yield number, {name: value for name, value in zip(header, cells, strict=False) if name and not _blank(value)}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _csv_rows(upload: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    text = codecs.getreader("utf-8-sig")(upload)
    try:
        first = text.readline()
        delimiter = ";" if first.count(";") > first.count(",") else ","
        yield from enumerate(csv.reader(_chain([first], text), delimiter=delimiter), start=1)
    except UnicodeDecodeError as error:
        raise Problem(422, "validation", say("Bukan UTF-8", "Not UTF-8"),
                      say(f"Simpan CSV sebagai UTF-8: {error}", f"Save the CSV as UTF-8: {error}"),
                      [{"loc": ["file"], "code": "encoding", "msg": say("CSV harus UTF-8", "a CSV must be UTF-8")}],
                      ) from None


def _chain(first: list[str], rest: Iterable[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _xlsx_rows(upload: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook  # the import is heavy; only imports need it

    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise Problem(422, "validation", say("Bukan buku kerja", "Not a workbook"),
                      say(f"Berkas ini bukan CSV maupun XLSX: {error}", f"This file is neither CSV nor XLSX: {error}"),
                      [{"loc": ["file"], "code": "file_type",
                        "msg": say("register harus berkas .csv atau .xlsx", "a register is a .csv or .xlsx file")}],
                      ) from None
    try:
        for number, cells in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
            yield number, list(cells)
    finally:
        workbook.close()


# ---------------------------------------------------------------- the values of a row


def parse_date(value: Any) -> date:
    """"12/12/2018", "2 Juli 2024", "2024-07-02", "02-07-2024", or a spreadsheet date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().lower()
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t].*)?", text):
        year, month, day = map(int, match.groups())
    elif match := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text):
        day, month, year = map(int, match.groups())
    elif (match := re.fullmatch(r"(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})", text)) and match.group(2) in MONTHS:
        day, month, year = int(match.group(1)), MONTHS[match.group(2)], int(match.group(3))
    else:
        raise ValueError(say(f"{value!r} bukan tanggal (mis. 12/12/2018, 2 Juli 2024, 2024-07-02)",
                             f"{value!r} is not a date (e.g. 12/12/2018, 2 Juli 2024, 2024-07-02)"))
    try:
        return date(year, month, day)
    except ValueError as error:  # 31/02/2024
        raise ValueError(say(f"{value!r} bukan tanggal yang ada di kalender", f"{value!r} is not a date: {error}"),
                         ) from None


def parse_rupiah(value: Any) -> int:
    """"Rp 1.500.000.000,00", "1500000000", or a number."""
    if isinstance(value, int | float):
        return int(value)
    text = re.sub(r"(?i)^rp\.?|\s", "", str(value))
    text = re.sub(r",\d{1,2}$", "", text).replace(".", "").replace(",", "")
    if not re.fullmatch(r"-?\d{1,20}", text):
        raise ValueError(say(f"{value!r} bukan jumlah rupiah (mis. 1.500.000.000)",
                             f"{value!r} is not an amount in rupiah (e.g. 1.500.000.000)"))
    return int(text)


@cache
def _region_names() -> dict[str, str]:
    """Region names (and codes) as people write them, to their codes."""
    names: dict[str, str] = {}
    for code in autonomous_codes():
        found = regions()[code]
        name = found.name.lower()
        names[name] = code
        names[code] = code
        if found.is_province:
            names["provinsi " + name] = names["prov " + name] = code
        elif name.startswith("kabupaten "):
            names["kab " + name.removeprefix("kabupaten ")] = code
    return names


def region_code(text: str) -> str | None:
    """The code of a region written as its code (`51.02`) or its name (`Kab. Tabanan`): the dots of a
    code are part of it, those of an abbreviated name are not."""
    names = _region_names()
    return names.get(text.strip()) or names.get(" ".join(re.sub(r"[.]", " ", text.lower()).split()))


def _split(value: Any) -> list[str]:
    return [p.strip() for p in re.split(r"[;\n]", str(value)) if p.strip()]


def _parties(value: Any, kind: str, own: str, country: Any, category: Any = None) -> list[dict[str, Any]]:
    """Regions by code or name; the other partners by the kind of cooperation, in the category the
    register gives (Kategori Mitra). The importing region is a party even when the register leaves
    it out."""
    names = []
    for part in _split(value):
        pieces = [p.strip() for p in part.split(",")]
        names += pieces if len(pieces) > 1 and all(region_code(p) for p in pieces) else [part]
    parties: list[dict[str, Any]] = [{"type": "region", "code": own}]
    for name in names:
        code = region_code(name)
        if code is not None:
            if code != own:
                parties.append({"type": "region", "code": code})
        elif kind == "KSDD":
            raise ValueError(say(f"{name!r} bukan kode atau nama daerah (KSDD adalah kerja sama antardaerah)",
                                 f"{name!r} is not a region code or name (a KSDD is between regions)"))
        elif kind == "KSDPK":
            parties.append({"type": "third_party", "name": name, "category": _category(category) or "lainnya"})
        elif kind in ("KSDPL", "KSDLL"):
            parties.append({"type": "foreign", "name": name, "country": str(country or "").strip().upper(),
                            "category": "pemerintah_daerah" if kind == "KSDPL" else "lembaga"})
        else:
            parties.append({"type": "central", "name": name})
    return parties


def _category(value: Any) -> str | None:
    """A partner category written as its code or its name (`Perguruan tinggi`, `BUMD`)."""
    text = normalize_header(value)
    if not text:
        return None
    names = {normalize_header(k): k for k in labels.PARTNER_CATEGORIES} | {
        normalize_header(v): k for k, v in labels.PARTNER_CATEGORIES.items()}
    return names.get(text, text)  # unknown: the model names the allowed ones


def _kind(value: Any) -> str:
    text = normalize_header(value)
    found = KINDS.get(text) or next((k for phrase, k in KINDS.items() if phrase in text), None)
    if found is None:
        raise ValueError(say(f"{value!r} bukan jenis kerja sama: salah satu dari KSDD, KSDPK, KSDPL, KSDLL, Sinergi",
                             f"{value!r} is not a kind of cooperation: one of KSDD, KSDPK, KSDPL, KSDLL, Sinergi"))
    return found


# ---------------------------------------------------------------- a row's submissions


class _Converter:
    """Reads a row's cells into submission fields, keeping every conversion failure with its column."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.errors: list[RowError] = []

    def get(self, name: str, convert: Callable[[Any], Any], code: str) -> Any:
        """The cell converted, or None (blank, or failed under rule `code`)."""
        if name not in self.row:
            return None
        try:
            return convert(self.row[name])
        except ValueError as error:
            self.errors.append(RowError(COLUMNS[name], code, str(error)))
            return None


def plan_row(number: int, row: dict[str, Any], own: str, node: str) -> PlannedRow:
    """The submissions one register row becomes, or each column and rule that failed."""
    planned = PlannedRow(number)
    cells = _Converter(row)
    kind = cells.get("kind", _kind, "kind")
    dates = {name: cells.get(name, parse_date, "date")
             for name in ("initiated_on", "ksb_date", "pks_date", "start_on", "end_on", "dprd_date", "kemendagri_date",
                          "kemlu_date")}
    amount = cells.get("amount", parse_rupiah, "rupiah")
    parties = None
    if kind is not None:
        parties = cells.get("parties", lambda v: _parties(v, kind, own, row.get("country"),
                                                          row.get("partner_category")), "party")
    content = {k: v for k, v in row.items() if k != "no"}
    digest = hashlib.sha256(canonical_json({"node": node, "row": _plain(content)})).hexdigest()
    planned.legacy_id = uuid5(NAMESPACE, digest)
    planned.content_key = f"import:{digest[:40]}"
    planned.row_keys = row_keys(row)
    agreement_id = uuid5(NAMESPACE, f"{own}|{planned.row_keys[0]}") if planned.row_keys else planned.legacy_id
    bodies = _bodies(row, own, kind, parties, dates, amount, agreement_id)
    if "kind" not in row:
        cells.errors.append(RowError(COLUMNS["kind"], "missing", say("jenis kerja sama wajib diisi",
                                                                     "the kind of cooperation is required")))
    if not any(name in row for name in ("initiated_on", "ksb_date", "pks_date", "start_on", "end_on")):
        cells.errors.append(RowError(COLUMNS["ksb_date"], "missing", say(
            "perlu satu tanggal: Tanggal Inisiasi, Tanggal KSB, Tanggal PKS, atau Tanggal Mulai",
            "a date is needed: Tanggal Inisiasi, Tanggal KSB, Tanggal PKS or Tanggal Mulai")))
    if cells.errors:
        planned.errors = cells.errors
        return planned
    for body in bodies:
        try:
            submission = parse(body)
            key = step_key(agreement_id, submission) if planned.row_keys else f"{planned.content_key}:{body['type']}"
            planned.submissions.append((key, submission))
        except Problem as problem:
            step = body["type"] + (f"#{body['data']['authority']}" if "authority" in body["data"] else "")
            planned.errors += [_row_error(step, e) for e in problem.errors or []]
    if planned.errors:
        planned.submissions = []
    else:
        planned.agreement_id = agreement_id
    return planned


def _plain(row: dict[str, Any]) -> dict[str, str]:
    """The row's values as text, for its fingerprint (a spreadsheet date and its text agree)."""
    return {k: v.isoformat() if isinstance(v, date) else str(v).strip() for k, v in row.items()}


def _bodies(row: dict[str, Any], own: str, kind: str | None, parties: Any, dates: dict[str, date | None],
            amount: int | None, agreement_id: UUID) -> list[dict[str, Any]]:
    iso = {k: v.isoformat() if v else None for k, v in dates.items()}
    known = [d for d in (dates["ksb_date"], dates["pks_date"], dates["start_on"]) if d]
    initiated = dates["initiated_on"] or (min(known) if known else None)
    objects = _split(row["objects"]) if "objects" in row else []
    propose = {"agreement_id": str(agreement_id), "kind": kind, "title": str(row.get("title", "")).strip(),
               "parties": parties or [], "urusan": re.findall(r"[1-3]\.\d{2}", str(row.get("urusan", ""))),
               "objects": objects, "initiated_on": initiated.isoformat() if initiated else None}
    if number := str(row.get("ksb_number") or row.get("pks_number") or "").strip():
        propose["document_number"] = number  # the other side's report may share it
    if "mandatory" in row:
        propose["mandatory"] = {"wajib": True, "sukarela": False}.get(normalize_header(row["mandatory"]),
                                                                      row["mandatory"])
    bodies = [{"type": "agreement.propose", "data": propose}]
    bodies += _approvals(row, iso, agreement_id)
    signatory = _signatory(row, own)
    if "ksb_number" in row or "ksb_date" in row:
        bodies.append({"type": "agreement.record_ksb", "data": {"agreement_id": str(agreement_id), "document": {
            "number": str(row.get("ksb_number", "")).strip(), "signed_on": iso["ksb_date"],
            "signatories": [signatory]}}})
    if "pks_number" in row or "pks_date" in row:
        funding = [{"amount_idr": amount, "source": SOURCES.get(normalize_header(row.get("source")), "lainnya")}
                   | ({"plan": normalize_header(row["plan"])} if "plan" in row else {})
                   | ({"program": str(row["program"]).strip()} if "program" in row else {})]
        bodies.append({"type": "agreement.record_pks", "data": {
            "agreement_id": str(agreement_id), "objects": objects,
            "document": {"number": str(row.get("pks_number", "")).strip(), "signed_on": iso["pks_date"],
                         "signatories": [signatory]},
            "start_on": iso["start_on"] or iso["pks_date"], "end_on": iso["end_on"],
            "funding": funding if amount is not None else []}
            | ({"legal_basis": str(row["legal_basis"]).strip()} if str(row.get("legal_basis") or "").strip() else {})})
    return bodies


def _approvals(row: dict[str, Any], iso: dict[str, str | None], agreement_id: UUID) -> list[dict[str, Any]]:
    """The region's DPRD approval and the central approvals (Kemendagri, Kemlu) the row records,
    before its KSB: a KSDPL/KSDLL is signed only after them."""
    found = []
    if "dprd_number" in row or "dprd_date" in row:
        found.append({"type": "agreement.record_dprd_approval", "data": {
            "agreement_id": str(agreement_id), "decision_number": str(row.get("dprd_number", "")).strip(),
            "approved_on": iso["dprd_date"]}})
    for authority in ("kemendagri", "kemlu"):
        if f"{authority}_number" in row or f"{authority}_date" in row:
            found.append({"type": "agreement.record_central_approval", "data": {
                "agreement_id": str(agreement_id), "authority": authority,
                "letter_number": str(row.get(f"{authority}_number", "")).strip(),
                "approved_on": iso[f"{authority}_date"]}})
    return found


def slot(submission: Submission) -> str:
    """Which step of its row a submission is: its type, and for a central approval its authority
    (a row may record both)."""
    authority = getattr(submission.data, "authority", None)
    return f"{submission.type}#{authority}" if authority else submission.type


HEAD_TITLES = ("kepala daerah", "gubernur", "bupati", "wali kota", "walikota")


def _signatory(row: dict[str, Any], own: str) -> dict[str, Any]:
    """Who signed for the region, in the capacity the register shows, so the lifecycle rules judge it
    (a KSB is signed by the region head; a PKS by the head or under a surat kuasa): a surat kuasa
    number makes the signatory the head's proxy; a head's title (not a deputy's) the head; any
    other official signed in no capacity of the head. Left empty, the region head signed."""
    position = str(row.get("position") or f"Kepala Daerah {regions()[own].name}").strip()
    attorney = str(row.get("power_of_attorney") or "").strip()
    signatory: dict[str, Any] = {"name": str(row.get("signatory") or "Kepala Daerah").strip(),
                                 "position": position, "party": own}
    if attorney:
        return signatory | {"capacity": "kuasa", "power_of_attorney": attorney}
    title = position.lower()
    head = any(t in title for t in HEAD_TITLES) and not title.startswith("wakil")
    return signatory | {"capacity": "kepala_daerah" if head else "mitra"}


def _row_error(type: str, error: dict[str, Any]) -> RowError:
    """A model's field error as the column of the register it came from (`type`: the step's slot)."""
    path = [str(p) for p in error["loc"][2:] if not str(p).isdigit()]
    if not path and (named := re.match(r"([a-z_]+): ", error["msg"])):  # a rule across fields names its field
        path = [named.group(1)]
    columns = FIELD_COLUMNS[type]
    name = next((columns[".".join(path[:n])] for n in range(len(path), 0, -1) if ".".join(path[:n]) in columns),
                None)
    column = COLUMNS[name] if name else ".".join(path) or type
    return RowError(column, error["code"], error["msg"])


# ---------------------------------------------------------------- the template


def template() -> bytes:
    """The register template: the headers, one example row, and a sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Register"
    sheet.append(list(COLUMNS.values()))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append([EXAMPLE.get(name, "") for name in COLUMNS])
    guide = workbook.create_sheet("Petunjuk")
    guide.append(["Kolom", "Isi"])
    for name, header in COLUMNS.items():
        guide.append([header, GUIDE.get(name, "")])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


EXAMPLE = {
    "no": "1", "title": "Pengelolaan sampah regional Kota Samarinda dan Kota Balikpapan", "kind": "KSDD",
    "parties": "Kota Balikpapan", "urusan": "2.11", "ksb_number": "180/12/KSB/2018", "ksb_date": "12/12/2018",
    "pks_number": "180/7/PKS/2019", "pks_date": "2 Juli 2019", "start_on": "2019-07-02", "end_on": "2024-07-01",
    "amount": "1.500.000.000", "source": "APBD", "objects": "Pembangunan TPA regional",
}

GUIDE = {
    "register_key": "Disarankan. Nomor yang dipakai daerah untuk baris ini. Baris yang diunggah ulang dengan"
                    " nomor yang sama (atau Nomor KSB/PKS yang sama) mengubah kerja sama yang sama, tidak membuat"
                    " yang baru: langkah yang berubah dicatat sebagai koreksi.",
    "title": "Wajib. Judul kerja sama (5-500 karakter).",
    "kind": "Wajib. KSDD, KSDPK, KSDPL, KSDLL atau Sinergi.",
    "parties": "Wajib. Pihak lain, dipisah titik koma: kode atau nama daerah (Kota Balikpapan, 64.71),"
               " nama pihak ketiga, mitra luar negeri, atau kementerian. Daerah pengunggah otomatis menjadi pihak.",
    "country": "Untuk KSDPL/KSDLL: kode negara ISO 3166 dua huruf (mis. JP).",
    "urusan": "Opsional. Kode urusan (mis. 2.11); kosong: diklasifikasikan dari judul.",
    "initiated_on": "Opsional. Bila kosong, tanggal paling awal dari KSB, PKS atau mulai.",
    "ksb_date": "Tanggal: 12/12/2018, 2 Juli 2024 atau 2024-07-02.",
    "amount": "Rupiah, tanpa desimal: 1.500.000.000.",
    "source": "APBD, APBN, Pihak Ketiga, Hibah atau Lainnya.",
    "signatory": "Opsional. Nama penandatangan; kosong: Kepala Daerah.",
    "position": "Opsional. Jabatan penandatangan (Wali Kota, Bupati, Gubernur, Sekretaris Daerah, ...);"
                " kosong: Kepala Daerah. KSB hanya sah ditandatangani kepala daerah.",
    "power_of_attorney": "Opsional. Nomor surat kuasa bila PKS ditandatangani atas kuasa kepala daerah.",
    "legal_basis": "Untuk PKS tanpa KSB sebelumnya: dasar hukumnya (mis. Perda 3/2019).",
    "mandatory": "Untuk KSDD: Wajib atau Sukarela.",
    "partner_category": "Untuk KSDPK: BUMN, BUMD, Badan usaha swasta, Perguruan tinggi, Media massa,"
                        " Organisasi kemasyarakatan, LSM atau Lainnya.",
    "plan": "Untuk PKS yang didanai APBD: RKPD atau RPJMD, dokumen perencanaan yang memuat programnya.",
    "program": "Untuk PKS yang didanai APBD: nama program dalam RKPD/RPJMD.",
    "dprd_number": "Bila ada: nomor keputusan persetujuan DPRD daerah ini.",
    "dprd_date": "Tanggal persetujuan DPRD.",
    "kemendagri_number": "Untuk KSDPL/KSDLL: nomor surat persetujuan Menteri Dalam Negeri.",
    "kemendagri_date": "Tanggal persetujuan Kemendagri.",
    "kemlu_number": "Untuk KSDPL/KSDLL: nomor surat koordinasi/persetujuan Kementerian Luar Negeri.",
    "kemlu_date": "Tanggal persetujuan Kemlu.",
}
