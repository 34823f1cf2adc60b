"""The committed JSON Schemas in contracts/schemas/ are what the code says, for every public model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ksd_contracts import events, schemas
from ksd_contracts.envelope import Envelope
from ksd_contracts.submissions import SUBMISSION_MODELS

REGENERATE = "run `python -m ksd_contracts.schemas` and commit contracts/schemas/"


def test_committed_schemas_match_the_code() -> None:
    expected = schemas.export()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in schemas.SCHEMA_DIR.glob("*.json")}
    missing = sorted(set(expected) - set(on_disk))
    stale = sorted(set(on_disk) - set(expected))
    differing = sorted(name for name in set(expected) & set(on_disk) if expected[name] != on_disk[name])
    assert not missing, f"schemas missing in {schemas.SCHEMA_DIR}: {missing}; {REGENERATE}"
    assert not stale, f"stale schemas in {schemas.SCHEMA_DIR}: {stale}; {REGENERATE}"
    assert not differing, f"schemas differing from the code: {differing}; {REGENERATE}"


def test_every_public_model_has_a_schema() -> None:
    exported = schemas.export()
    assert json.loads(exported["envelope.json"]) == Envelope.model_json_schema()
    for name, model in SUBMISSION_MODELS.items():
        assert json.loads(exported[f"submission.{name}.json"]) == model.model_json_schema()
    for event in (events.Submitted, events.SubmissionRejected, events.CredentialIssued):
        assert event.model_json_schema() in [json.loads(text) for text in exported.values()], event.__name__
    assert "submission.agreement.propose.json" in exported
    assert {"event.submitted.json", "event.submission_rejected.json", "event.credential_issued.json"} <= set(exported)


def test_files_are_sorted_indented_and_end_with_a_newline() -> None:
    for name, text in schemas.export().items():
        value = json.loads(text)
        assert text == json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n", name
        assert value.get("type") == "object", name


def test_check_flags_drift_and_write_repairs_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert schemas.main(["--dir", str(tmp_path), "--check"]) == 1
    assert schemas.main(["--dir", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.json")) == sorted(schemas.export())
    assert schemas.main(["--dir", str(tmp_path), "--check"]) == 0

    (tmp_path / "envelope.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "submission.old.json").write_text("{}\n", encoding="utf-8")
    capsys.readouterr()
    assert schemas.main(["--dir", str(tmp_path), "--check"]) == 1
    err = capsys.readouterr().err
    assert "envelope.json" in err and "submission.old.json" in err
    assert "event.submitted.json" not in err

    assert schemas.main(["--dir", str(tmp_path)]) == 0
    assert not (tmp_path / "submission.old.json").exists()
    assert (tmp_path / "envelope.json").read_text(encoding="utf-8") == schemas.export()["envelope.json"]
    assert schemas.main(["--dir", str(tmp_path), "--check"]) == 0
