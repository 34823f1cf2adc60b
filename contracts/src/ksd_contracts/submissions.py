"""What the submitting nodes send to intake: one model per submission type.

Field names follow DOMAIN.md. Each step keeps its legal date (e.g. when a document was signed)
apart from when it was recorded, so old agreements can be back-filled.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    model_validator,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from ksd_contracts.language import rule_broken
from ksd_contracts.regions import autonomous_codes, region
from ksd_contracts.urusan import urusan

Text = Annotated[str, Field(min_length=1, max_length=2000)]
Name = Annotated[str, Field(min_length=2, max_length=300)]


def _known_region(code: str) -> str:
    found = region(code)
    if found is None:
        raise rule_broken(f"kode wilayah {code!r} tidak dikenal (kode Kepmendagri: NN atau NN.NN)",
                          f"region code {code!r} is unknown (Kemendagri's codes: NN or NN.NN)", see="regions")
    if code not in autonomous_codes():
        raise rule_broken(f"{code} {found.name} adalah wilayah administratif, bukan daerah otonom",
                          f"{code} {found.name} is an administrative area, not an autonomous region", see="regions")
    return code


def _known_urusan(code: str) -> str:
    if code not in urusan():
        raise rule_broken(f"kode urusan {code!r} tidak dikenal", f"urusan code {code!r} is unknown", see="urusan")
    return code


WIB = timedelta(hours=7)


def today_wib() -> date:
    """Legal dates are Indonesian dates: a document signed this morning in Jakarta is dated today
    even before midnight UTC."""
    return (datetime.now(UTC) + WIB).date()


AT_SUBMISSION = {"today": None}
"""Validation context for a node's submission: dates may not lie after today. Consumers validate
without it, so history submitted years ago does not become invalid as days pass."""


def _not_future(day: date, info: ValidationInfo) -> date:
    if not info.context or "today" not in info.context:
        return day
    today = info.context["today"] or today_wib()
    if day > today:
        raise rule_broken(f"tanggal {day.isoformat()} ada di masa depan (hari ini {today.isoformat()})",
                          f"the date {day.isoformat()} lies in the future (today is {today.isoformat()})")
    return day


LegalDate = Annotated[date, AfterValidator(_not_future)]
"""The legal date of a step (a signing, a decision): never in the future; old steps may be back-filled."""


def _as_parsed(kind: str) -> Callable[[Any], Any]:
    """Text where a JSON number or boolean belongs is refused with the code lax pydantic gave it
    (`int_parsing`, `bool_parsing`: the codes machines already read); other wrong types meet the
    strict type (JSON `false` is no amount, `1` is no yes)."""
    def check(value: Any) -> Any:
        if isinstance(value, str):
            raise PydanticCustomError(f"{kind}_parsing", "harus {kind} JSON, bukan teks", {"kind": kind})
        return value
    return check


Rupiah = Annotated[StrictInt, Field(ge=0, le=10**16, description="Whole rupiah (IDR), not negative."),
                   BeforeValidator(_as_parsed("int"))]
"""Strict: JSON `false` is no amount (lax pydantic read it as 0)."""
JsonBool = Annotated[StrictBool, BeforeValidator(_as_parsed("bool"))]
"""`true` or `false` only (lax pydantic read `"yes"`, `1` and `"on"` as true)."""
DocumentNumber = Annotated[str, Field(min_length=1, max_length=200)]

RegionCode = Annotated[str, Field(pattern=r"^[0-9]{2}(\.[0-9]{2})?$"), AfterValidator(_known_region)]
UrusanCode = Annotated[str, Field(pattern=r"^[1-3]\.[0-9]{2}$"), AfterValidator(_known_urusan)]


class Kind(StrEnum):
    """The kinds of cooperation (PP 28/2018; Permendagri 22/2020 and 25/2020)."""

    KSDD = "KSDD"
    KSDPK = "KSDPK"
    KSDPL = "KSDPL"
    KSDLL = "KSDLL"
    SINERGI = "Sinergi"


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Not text a person typed: no register needs them, and PostgreSQL cannot store NUL at all."""


def control_characters_at(value: Any) -> str | None:
    """Where in `value` (a dotted path, `""` for itself) a string has control characters; None if nowhere."""
    if isinstance(value, str):
        return "" if CONTROL_CHARACTERS.search(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list | tuple) else ()
    for key, item in items:
        if isinstance(key, str) and CONTROL_CHARACTERS.search(key):
            return ""
        if (inner := control_characters_at(item)) is not None:
            return f"{key}.{inner}".rstrip(".")
    return None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _typed_text(cls, value: Any) -> Any:
        if (at := control_characters_at(value)) is not None:
            raise rule_broken(f"{at or 'nama kolom'}: karakter kendali (selain tab dan ganti baris) tidak diterima",
                              f"{at or 'a field name'}: control characters (other than tab and newline) are not"
                              " allowed")
        return value


def _tag_required(schema: JsonDict) -> None:
    """A party's `type` is the tag of the `Party` union: read from JSON, a party without it is
    refused (`union_tag_not_found`), so its schema requires it, though Python code may leave it to
    the default."""
    required = schema.get("required")
    names = required if isinstance(required, list) else []
    schema["required"] = ["type", *(name for name in names if name != "type")]


class PartyKind(Strict):
    """What every kind of party shares: the tag that says which kind it is."""

    model_config = ConfigDict(json_schema_extra=_tag_required)


class RegionParty(PartyKind):
    type: Literal["region"] = "region"
    code: RegionCode


class ThirdParty(PartyKind):
    type: Literal["third_party"] = "third_party"
    name: Name
    category: Literal[
        "bumn", "bumd", "swasta", "perguruan_tinggi", "media_massa", "organisasi_kemasyarakatan", "lsm", "lainnya"
    ]


class ForeignParty(PartyKind):
    type: Literal["foreign"] = "foreign"
    name: Name
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
    category: Literal["pemerintah_daerah", "lembaga"]


class CentralParty(PartyKind):
    type: Literal["central"] = "central"
    name: Name = Field(description="The ministry or agency (Sinergi, PP 28/2018 art. 46).")


Party = Annotated[RegionParty | ThirdParty | ForeignParty | CentralParty, Field(discriminator="type")]

_PARTNER_OF_KIND: dict[Kind, str] = {
    Kind.KSDD: "region", Kind.KSDPK: "third_party", Kind.KSDPL: "foreign",
    Kind.KSDLL: "foreign", Kind.SINERGI: "central",
}


class Signatory(Strict):
    """Who signed a document, for which party, and in what capacity (PP 28/2018 art. 2)."""

    name: Name
    position: Name = Field(description="Jabatan, e.g. Wali Kota Kupang, Kepala Dinas Lingkungan Hidup.")
    party: Name = Field(description="The region code, or the partner's name, this signatory signed for.")
    capacity: Literal["kepala_daerah", "kuasa", "mitra"] = Field(
        description="kepala_daerah: the region head; kuasa: an OPD head under a power of attorney"
        " (surat kuasa); mitra: the partner's signatory."
    )
    power_of_attorney: DocumentNumber | None = Field(
        default=None, description="The number of the surat kuasa, when capacity is kuasa."
    )

    @model_validator(mode="after")
    def _kuasa_has_letter(self) -> Signatory:
        if self.capacity == "kuasa" and not self.power_of_attorney:
            raise rule_broken("power_of_attorney: pejabat yang menandatangani atas kuasa perlu nomor surat kuasa",
                              "power_of_attorney: an official signing under a power of attorney needs its number")
        return self


class Document(Strict):
    """A signed document as one side numbered it: each party numbers the same KSB or PKS its own way."""

    number: DocumentNumber = Field(description="This side's own document number.")
    signed_on: LegalDate
    signatories: list[Signatory] = Field(min_length=1, max_length=20)


FundingSource = Literal["apbd", "apbn", "pihak_ketiga", "hibah", "lainnya"]


class Funding(Strict):
    """Money for the cooperation, and the plan it is budgeted under (RPJMD/RKPD program reference)."""

    amount_idr: Rupiah
    source: FundingSource
    plan: Literal["rpjmd", "rkpd"] | None = Field(default=None, description="The regional plan it is in.")
    program: Annotated[str, Field(max_length=300)] | None = Field(
        default=None, description="The RPJMD/RKPD program reference it is budgeted under."
    )


class AgreementPropose(Strict):
    """A region starts a cooperation (persiapan), or reports one the other party started: the same
    `agreement_id`, or the same kind and parties, joins the two sides' reports."""

    agreement_id: UUID | None = Field(
        default=None, description="Set when the agreement already has an id (e.g. the other party's)."
    )
    kind: Kind
    mandatory: JsonBool | None = Field(
        default=None, description="KSDD only: wajib (true) or sukarela (false)."
    )
    title: Annotated[str, Field(min_length=5, max_length=500)]
    parties: list[Party] = Field(min_length=2, max_length=50)
    urusan: list[UrusanCode] = Field(
        default_factory=list, max_length=32,
        description="The affairs served, by code. Left empty (e.g. an imported register without codes),"
        " mapping classifies the agreement from its title and objects.",
    )
    objects: list[Text] = Field(default_factory=list, max_length=50)
    initiated_on: LegalDate = Field(description="Legal date: the date of the initiation letter (surat inisiasi).")
    document_number: DocumentNumber | None = Field(default=None, description="This side's own number.")

    @model_validator(mode="after")
    def _parties_fit_kind(self) -> AgreementPropose:
        regions = [p for p in self.parties if isinstance(p, RegionParty)]
        if not regions:
            raise rule_broken("parties: paling sedikit satu pihak harus daerah",
                              "parties: at least one must be a region")
        if len({p.code for p in regions}) != len(regions):
            raise rule_broken("parties: satu daerah tercantum dua kali", "parties: a region is listed twice")
        partner = _PARTNER_OF_KIND[self.kind]
        if partner == "region" and len(regions) < 2:
            raise rule_broken("parties: KSDD memerlukan paling sedikit dua daerah",
                              "parties: a KSDD needs at least two regions")
        if partner != "region" and not any(p.type == partner for p in self.parties):
            raise rule_broken(f"parties: {self.kind.value} memerlukan pihak berjenis {partner!r}",
                              f"parties: a {self.kind.value} needs a party of type {partner!r}")
        if self.mandatory is not None and self.kind is not Kind.KSDD:
            raise rule_broken("mandatory: hanya KSDD yang wajib atau sukarela",
                              "mandatory: only a KSDD is mandatory or voluntary")
        return self

    @property
    def region_codes(self) -> list[str]:
        return [p.code for p in self.parties if isinstance(p, RegionParty)]


class AgreementStep(Strict):
    """A step of an agreement that exists: the agreement service checks it against the lifecycle."""

    agreement_id: UUID


class RecordTkksdReview(AgreementStep):
    """The TKKSD reviewed the initiation: layak (feasible) or tidak layak."""

    reviewed_on: LegalDate
    feasible: JsonBool = Field(description="layak (true) or tidak layak (false).")
    feasibility_study: JsonBool = Field(
        default=False, description="A studi kelayakan was attached (expected for KSDPK)."
    )
    document_number: DocumentNumber | None = None
    notes: Text | None = None


class RecordOffer(AgreementStep):
    """The region head's offer letter (surat penawaran) to the partner."""

    document: Document


class RecordOfferResponse(AgreementStep):
    """The partner accepted or declined the offer."""

    responded_on: LegalDate
    accepted: JsonBool
    party: Name | None = Field(
        default=None, description="The partner that answers (a region code or the partner's name), when the offer "
        "went to several; left out, the answer is the recording region's.")
    document_number: DocumentNumber | None = None
    reason: Text | None = None


class RecordKsb(AgreementStep):
    """The Kesepakatan Bersama (formerly MoU), signed by the region heads with the partner."""

    document: Document


class RecordDprdApproval(AgreementStep):
    """Approval of the regional parliament (persetujuan DPRD)."""

    decision_number: DocumentNumber
    approved_on: LegalDate


class RecordCentralApproval(AgreementStep):
    """A central approval for a foreign track (KSDPL/KSDLL, Permendagri 25/2020)."""

    authority: Literal["kemendagri", "kemlu"] = Field(
        description="kemendagri: the minister's consent; kemlu: coordination with the Ministry of Foreign Affairs."
    )
    letter_number: DocumentNumber
    approved_on: LegalDate


class RecordPks(AgreementStep):
    """The Perjanjian Kerja Sama (for Sinergi: the Nota Kesepakatan with its Rencana Kerja)."""

    document: Document
    start_on: date
    end_on: date
    objects: list[Text] = Field(default_factory=list, max_length=50)
    rights_and_duties: Text | None = None
    funding: list[Funding] = Field(default_factory=list, max_length=20)
    dprd_required: JsonBool = Field(
        default=False,
        description="It burdens the community or an APBD not yet budgeted, so DPRD approval is required first.",
    )
    legal_basis: Text | None = Field(default=None, description="The legal basis of a PKS with no prior KSB.")
    action_plan: list[Text] = Field(
        default_factory=list, max_length=100, description="Sinergi: the Rencana Kerja (RK) of the NK."
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> RecordPks:
        if self.end_on < self.start_on:
            raise rule_broken("end_on: tanggal berakhir sebelum tanggal mulai", "end_on: it ends before it starts")
        return self


class AmendmentChanges(Strict):
    """The terms an addendum changes; what is left out stays as it was."""

    title: Annotated[str, Field(min_length=5, max_length=500)] | None = None
    objects: list[Text] | None = Field(default=None, max_length=50)
    urusan: list[UrusanCode] | None = Field(default=None, min_length=1, max_length=32)
    end_on: date | None = None
    funding: list[Funding] | None = Field(default=None, max_length=20)
    kind: Kind | None = Field(default=None, description="Not allowed to change: rejected by rule if different.")
    parties: list[Party] | None = Field(default=None, description="Not allowed to change: rejected by rule.")

    @model_validator(mode="after")
    def _something(self) -> AmendmentChanges:
        if not self.model_fields_set:
            raise rule_broken("changes: sebutkan paling sedikit satu ketentuan yang berubah",
                              "changes: name at least one term that changes")
        return self


class Amend(AgreementStep):
    """An addendum (perubahan): a new version of the terms, the old one kept."""

    document: Document
    changes: AmendmentChanges
    reason: Text | None = None


class Extend(AgreementStep):
    """An extension (perpanjangan): a new cooperation linked to this one, for a new term."""

    new_agreement_id: UUID | None = Field(default=None, description="Left out, intake assigns one.")
    document: Document
    start_on: date
    end_on: date

    @model_validator(mode="after")
    def _dates_in_order(self) -> Extend:
        if self.end_on < self.start_on:
            raise rule_broken("end_on: tanggal berakhir sebelum tanggal mulai", "end_on: it ends before it starts")
        return self


class EndReason(StrEnum):
    """Why a cooperation ended (berakhirnya kerja sama)."""

    TUJUAN_TERCAPAI = "tujuan_tercapai"
    KEADAAN_KAHAR = "keadaan_kahar"
    WANPRESTASI = "wanprestasi"
    DIGANTI = "diganti_perjanjian_baru"
    BERTENTANGAN_PERATURAN = "bertentangan_peraturan"
    KESEPAKATAN_PARA_PIHAK = "kesepakatan_para_pihak"
    JANGKA_WAKTU_BERAKHIR = "jangka_waktu_berakhir"


class Withdraw(AgreementStep):
    """The region withdraws a record it entered by mistake (a duplicate, a wrong upload): the
    agreement leaves every count and list, its history stays, and the audit trail shows the
    withdrawal. Only the region that reported it alone may withdraw it."""

    reason: Text


class RaiseDispute(AgreementStep):
    """A party region records a dispute (perselisihan) over the cooperation with its other parties:
    what it is about and since when. It stays open until a settlement is recorded."""

    dispute_id: UUID | None = Field(default=None, description="Left out, intake assigns one; the settlement names it.")
    raised_on: LegalDate
    subject: Text = Field(description="What the parties disagree on, e.g. the share of the costs.")
    document_number: DocumentNumber | None = Field(default=None, description="The letter that raised it.")


SettledBy = Literal["para_pihak", "gubernur", "menteri"]
"""Who settled a dispute (DOMAIN.md): the parties by deliberation (musyawarah), the governor for
regencies/cities of one province, the minister across provinces and for provinces."""


class SettleDispute(AgreementStep):
    """The settlement of a dispute raised on this agreement, by whom and with what outcome."""

    dispute_id: UUID = Field(description="The `dispute_id` of the dispute it settles (on the agreement's record).")
    settled_on: LegalDate
    settled_by: SettledBy
    outcome: Text
    document_number: DocumentNumber | None = Field(default=None, description="The decision or the agreement.")


class Terminate(AgreementStep):
    """The end of a cooperation, with its reason."""

    ended_on: LegalDate
    reason: EndReason
    detail: Text | None = None
    document_number: DocumentNumber | None = None


class ReportProgress(AgreementStep):
    """A progress report or evaluation (monitoring dan evaluasi) for one period, with its recommendation."""

    period: Annotated[str, Field(pattern=r"^20[0-9]{2}-S[12]$", description="The semester, e.g. 2025-S1.")]
    reported_on: LegalDate
    achievements: Text
    problems: Text | None = None
    recommendation: Literal["dilanjutkan", "diperluas", "dihentikan"]
    realized_idr: Rupiah | None = None


class Verify(AgreementStep):
    """The province verifies a record of its regency/city as it now stands (DHIS2's data approval):
    the ministry can count it apart from records no province has checked. A later change by a party
    makes it unverified again. Only the province of a party regency/city may verify."""

    note: Text | None = Field(default=None, description="What the province checked, if it says.")


class ReturnForCorrection(AgreementStep):
    """The province returns a record of its regency/city for correction, saying what is wrong: the
    record is open again for the regency, which corrects it (then it awaits verification again)."""

    note: Text = Field(description="What the regency must correct.")


class Correct(AgreementStep):
    """Supersedes an earlier submission of this agreement with corrected data, with a reason; the
    earlier one is kept. `data` is checked against the type of the submission it supersedes."""

    supersedes: UUID = Field(description="The id of the submission being corrected.")
    reason: Text
    data: dict[str, Any] = Field(description="The corrected `data` of the superseded submission.")


class RegionStep(Strict):
    """A declaration by a region about itself (mapping): the node may declare only for its own region."""

    region: RegionCode
    declared_on: LegalDate


class TkksdMember(Strict):
    name: Name
    position: Name
    role: Literal["ketua", "sekretaris", "anggota"]


class RegionRecordTkksd(RegionStep):
    """The decree of the region head forming its TKKSD (e.g. SK Bupati 139/SK-BUP/HK/2024)."""

    decree_number: DocumentNumber
    decree_date: LegalDate
    members: list[TkksdMember] = Field(min_length=1, max_length=100)


class Potential(Strict):
    """A regional potential that can be cooperated on (pemetaan potensi daerah)."""

    urusan: UrusanCode
    title: Name
    description: Text
    scale: Literal["lokal", "regional", "nasional", "internasional"] = "lokal"
    location: Annotated[str, Field(max_length=300)] | None = None
    value_idr: Rupiah | None = None


class RegionDeclarePotential(RegionStep):
    potentials: list[Potential] = Field(min_length=1, max_length=200)


class RegionDeclareCooperableAffairs(RegionStep):
    """The affairs a region offers cooperation on, and those it needs cooperation on."""

    offers: list[UrusanCode] = Field(default_factory=list, max_length=32)
    needs: list[UrusanCode] = Field(default_factory=list, max_length=32)

    @model_validator(mode="after")
    def _something(self) -> RegionDeclareCooperableAffairs:
        if not self.offers and not self.needs:
            raise rule_broken("offers: nyatakan paling sedikit satu urusan yang ditawarkan atau dibutuhkan",
                              "offers: declare at least one urusan offered or needed")
        return self


class RegionDeclareNeighbours(RegionStep):
    """The regions this one borders; a border is confirmed when both declare it."""

    neighbours: list[RegionCode] = Field(min_length=1, max_length=60)

    @model_validator(mode="after")
    def _not_itself(self) -> RegionDeclareNeighbours:
        if self.region in self.neighbours:
            raise rule_broken("neighbours: daerah tidak berbatasan dengan dirinya sendiri",
                              "neighbours: a region does not border itself")
        return self


SUBMISSION_MODELS: dict[str, type[Strict]] = {
    "agreement.propose": AgreementPropose,
    "agreement.record_tkksd_review": RecordTkksdReview,
    "agreement.record_offer": RecordOffer,
    "agreement.record_offer_response": RecordOfferResponse,
    "agreement.record_ksb": RecordKsb,
    "agreement.record_dprd_approval": RecordDprdApproval,
    "agreement.record_central_approval": RecordCentralApproval,
    "agreement.record_pks": RecordPks,
    "agreement.amend": Amend,
    "agreement.extend": Extend,
    "agreement.terminate": Terminate,
    "agreement.report_progress": ReportProgress,
    "agreement.correct": Correct,
    "agreement.withdraw": Withdraw,
    "agreement.raise_dispute": RaiseDispute,
    "agreement.settle_dispute": SettleDispute,
    "agreement.verify": Verify,
    "agreement.return": ReturnForCorrection,
    "region.record_tkksd": RegionRecordTkksd,
    "region.declare_potential": RegionDeclarePotential,
    "region.declare_cooperable_affairs": RegionDeclareCooperableAffairs,
    "region.declare_neighbours": RegionDeclareNeighbours,
}
"""Every submission type of INTERFACES.md with its model. `agreement.*` ones belong to the stream of
their agreement (keyed by agreement id); `region.*` ones to the stream of their region (keyed by code)."""

VERIFICATION_SUBMISSIONS = ("agreement.verify", "agreement.return")
"""A province's verdict on a regency's record, not a step of the cooperation itself: only the
province of a party regency/city submits them (intake and the agreement service check it)."""
