"""What the submitting nodes send to intake: one model per submission type.

Field names follow DOMAIN.md. Each step keeps its legal date (e.g. when a document was signed)
apart from when it was recorded, so old agreements can be back-filled.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ksd_contracts.regions import autonomous_codes, region
from ksd_contracts.urusan import urusan

Text = Annotated[str, Field(min_length=1, max_length=2000)]
Name = Annotated[str, Field(min_length=2, max_length=300)]


def _known_region(code: str) -> str:
    found = region(code)
    if found is None:
        raise ValueError(f"unknown region code {code!r} (Kepmendagri codes: NN or NN.NN)")
    if code not in autonomous_codes():
        raise ValueError(f"{code} {found.name} is an administrative unit, not an autonomous region")
    return code


def _known_urusan(code: str) -> str:
    if code not in urusan():
        raise ValueError(f"unknown urusan code {code!r} (see GET /v1/urusan)")
    return code


RegionCode = Annotated[str, Field(pattern=r"^[0-9]{2}(\.[0-9]{2})?$"), AfterValidator(_known_region)]
UrusanCode = Annotated[str, Field(pattern=r"^[1-3]\.[0-9]{2}$"), AfterValidator(_known_urusan)]


class Kind(StrEnum):
    """The kinds of cooperation (PP 28/2018; Permendagri 22/2020 and 25/2020)."""

    KSDD = "KSDD"
    KSDPK = "KSDPK"
    KSDPL = "KSDPL"
    KSDLL = "KSDLL"
    SINERGI = "Sinergi"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class RegionParty(Strict):
    type: Literal["region"] = "region"
    code: RegionCode


class ThirdParty(Strict):
    type: Literal["third_party"] = "third_party"
    name: Name
    category: Literal[
        "bumn", "bumd", "swasta", "perguruan_tinggi", "media_massa", "organisasi_kemasyarakatan", "lsm", "lainnya"
    ]


class ForeignParty(Strict):
    type: Literal["foreign"] = "foreign"
    name: Name
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
    category: Literal["pemerintah_daerah", "lembaga"]


class CentralParty(Strict):
    type: Literal["central"] = "central"
    name: Name = Field(description="The ministry or agency (Sinergi, PP 28/2018 art. 46).")


Party = Annotated[RegionParty | ThirdParty | ForeignParty | CentralParty, Field(discriminator="type")]

_PARTNER_OF_KIND: dict[Kind, str] = {
    Kind.KSDD: "region", Kind.KSDPK: "third_party", Kind.KSDPL: "foreign",
    Kind.KSDLL: "foreign", Kind.SINERGI: "central",
}


class AgreementPropose(Strict):
    """A region starts a cooperation: the initiation (persiapan) with its partners and affairs."""

    agreement_id: UUID | None = Field(
        default=None, description="Set when the agreement already has an id (e.g. the other party's)."
    )
    kind: Kind
    mandatory: bool | None = Field(
        default=None, description="KSDD only: wajib (true) or sukarela (false)."
    )
    title: Annotated[str, Field(min_length=5, max_length=500)]
    parties: list[Party] = Field(min_length=2, max_length=50)
    urusan: list[UrusanCode] = Field(min_length=1, max_length=32)
    objects: list[Text] = Field(default_factory=list, max_length=50)
    initiated_on: date = Field(description="Legal date: the date of the initiation letter (surat inisiasi).")
    document_number: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _parties_fit_kind(self) -> AgreementPropose:
        regions = [p for p in self.parties if isinstance(p, RegionParty)]
        if not regions:
            raise ValueError("parties: at least one party must be a region")
        if len({p.code for p in regions}) != len(regions):
            raise ValueError("parties: a region is listed twice")
        partner = _PARTNER_OF_KIND[self.kind]
        if partner == "region" and len(regions) < 2:
            raise ValueError("parties: a KSDD needs at least two regions")
        if partner != "region" and not any(p.type == partner for p in self.parties):
            raise ValueError(f"parties: a {self.kind.value} needs a party of type {partner!r}")
        if self.mandatory is not None and self.kind is not Kind.KSDD:
            raise ValueError("mandatory: only a KSDD is wajib or sukarela")
        return self

    @property
    def region_codes(self) -> list[str]:
        return [p.code for p in self.parties if isinstance(p, RegionParty)]


SUBMISSION_MODELS: dict[str, type[Strict]] = {
    "agreement.propose": AgreementPropose,
}
