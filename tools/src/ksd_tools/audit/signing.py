"""Signed checkpoints: proof that outlives the platform's own storage.

The daily checkpoints on `ksd.audit.checkpoints` live in the same Kafka as the history: whoever can
rewrite a whole topic can recompute every hash and every checkpoint. So the ministry signs them with
an Ed25519 key it holds (never on the platform's hosts in production), and exports them as a small
file it can publish or hand to BPK. `ksd audit verify --checkpoints FILE` checks the file's
signature against the ministry's public key (published with the platform) and the history against
each day the file names: a rewritten topic fails, naming the first day that differs.

The signature covers the canonical JSON (`ksd_contracts.envelope.canonical_json`) of everything in
the file but the signature itself.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from ksd_contracts.envelope import canonical_json, format_time
from ksd_contracts.events import DayCheckpoint

FORMAT = "ksd-audit-checkpoints/1"
DEV_KEY = Path(".data/audit/ministry-dev.key")
"""Where `ksd audit keygen` puts a key for local use (under .data, which git ignores): a real
ministry key is made and kept off the platform, and only its public half is published."""


def public_key_path(key: Path) -> Path:
    """The public half of a key file sits beside it: `<key>.pub`."""
    return key.with_name(key.name + ".pub")


def generate(key: Path) -> Path:
    """A new Ed25519 key at `key` (readable by its owner only) and its public half beside it;
    an existing key is never overwritten (checkpoints already signed would lose their signer)."""
    if key.exists():
        raise FileExistsError(f"{key} sudah ada: kunci penanda tangan tidak pernah diganti di tempatnya")
    key.parent.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    public_key_path(key).write_bytes(private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return public_key_path(key)


def _private(key: Path) -> Ed25519PrivateKey:
    try:
        loaded = load_pem_private_key(key.read_bytes(), password=None)
    except ValueError as error:
        raise ValueError(f"{key} bukan kunci PEM yang dapat dibaca") from error
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{key} bukan kunci privat Ed25519")
    return loaded


def _public(key: Path) -> Ed25519PublicKey:
    try:
        loaded = load_pem_public_key(key.read_bytes())
    except ValueError as error:
        raise ValueError(f"{key} bukan kunci PEM yang dapat dibaca") from error
    if not isinstance(loaded, Ed25519PublicKey):
        raise ValueError(f"{key} bukan kunci publik Ed25519")
    return loaded


def _raw(public: Ed25519PublicKey) -> str:
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def _signed_part(document: dict[str, Any]) -> bytes:
    return canonical_json({k: v for k, v in document.items() if k != "signature"})


def export(checkpoints: list[DayCheckpoint], key: Path, out: Path) -> dict[str, Any]:
    """Sign `checkpoints` with `key` and write them to `out` as one small JSON file."""
    private = _private(key)
    document: dict[str, Any] = {
        "format": FORMAT, "signed_at": format_time(datetime.now(UTC)), "public_key": _raw(private.public_key()),
        "checkpoints": [c.model_dump(mode="json") for c in sorted(checkpoints, key=lambda c: (c.day, c.topic))],
    }
    document["signature"] = base64.b64encode(private.sign(_signed_part(document))).decode()
    out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    return document


@dataclass(frozen=True)
class SignedCheckpoints:
    """An exported file whose signature holds under the trusted public key."""

    path: Path
    signed_at: str
    checkpoints: list[DayCheckpoint]

    @property
    def last_day(self) -> str | None:
        return max((c.day.isoformat() for c in self.checkpoints), default=None)


class BadSignature(ValueError):
    """The file was not signed by the trusted key, or was changed after it was signed."""


def load(path: Path, public_key: Path) -> SignedCheckpoints:
    """The checkpoints of an exported file, once its signature holds under `public_key` (the
    ministry's published key, not the one the file names: a forger signs with their own)."""
    document = json.loads(path.read_text())
    if document.get("format") != FORMAT:
        raise BadSignature(f"{path} bukan berkas {FORMAT}")
    trusted = _public(public_key)
    if document.get("public_key") != _raw(trusted):
        raise BadSignature(f"{path} ditandatangani dengan kunci lain, bukan {public_key}")
    try:
        trusted.verify(base64.b64decode(document["signature"]), _signed_part(document))
    except (InvalidSignature, KeyError, ValueError) as error:
        raise BadSignature(f"tanda tangan {path} tidak sah: berkas diubah setelah ditandatangani") from error
    return SignedCheckpoints(path, document["signed_at"],
                             [DayCheckpoint.model_validate(c) for c in document["checkpoints"]])
