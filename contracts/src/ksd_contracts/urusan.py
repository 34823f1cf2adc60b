"""The catalogue of government affairs (urusan pemerintahan konkuren), kept as versioned data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

UrusanClass = Literal["wajib_pelayanan_dasar", "wajib_non_pelayanan_dasar", "pilihan"]


@dataclass(frozen=True, slots=True)
class Urusan:
    code: str
    name: str
    urusan_class: UrusanClass


@cache
def catalogue() -> dict[str, object]:
    """The raw catalogue with its version and source."""
    raw = resources.files("ksd_contracts").joinpath("data", "urusan.json").read_text(encoding="utf-8")
    data: dict[str, object] = json.loads(raw)
    return data


@cache
def urusan() -> dict[str, Urusan]:
    entries = catalogue()["urusan"]
    assert isinstance(entries, list)
    return {e["code"]: Urusan(e["code"], e["name"], e["class"]) for e in entries}
