"""The JSON Schema of every public model, committed under `contracts/schemas/`.

Other teams (and the nodes of the provinces and regencies/cities) read these files rather than the
Python code; a test fails when they drift from the models. Regenerate them with

    python -m ksd_contracts.schemas          # write contracts/schemas/*.json
    python -m ksd_contracts.schemas --check  # exit 1 if they differ from the code
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from pathlib import Path

from pydantic import BaseModel

from ksd_contracts import events
from ksd_contracts.envelope import Envelope
from ksd_contracts.submissions import SUBMISSION_MODELS

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def event_models() -> dict[str, type[BaseModel]]:
    """The `data` models defined in `events.py`, by class name."""
    return {
        name: value for name, value in vars(events).items()
        if inspect.isclass(value) and issubclass(value, BaseModel) and value.__module__ == events.__name__
    }


def models() -> dict[str, type[BaseModel]]:
    """Every public model by the name of its schema file."""
    found: dict[str, type[BaseModel]] = {"envelope.json": Envelope}
    found.update({f"submission.{name}.json": model for name, model in SUBMISSION_MODELS.items()})
    found.update({f"event.{_snake(name)}.json": model for name, model in event_models().items()})
    return found


def render(model: type[BaseModel]) -> str:
    return json.dumps(model.model_json_schema(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def export() -> dict[str, str]:
    """File name -> the text the code would write, in name order."""
    return {name: render(model) for name, model in sorted(models().items())}


def differences(folder: Path = SCHEMA_DIR) -> list[str]:
    """The files that are missing, stale or different from what `export()` would write."""
    expected = export()
    present = {p.name for p in folder.glob("*.json")} if folder.is_dir() else set()
    differ = [name for name, text in expected.items()
              if name not in present or (folder / name).read_text(encoding="utf-8") != text]
    return sorted(differ + [name for name in present if name not in expected])


def write(folder: Path = SCHEMA_DIR) -> list[str]:
    """Write every schema and remove stale ones; returns what changed, e.g. `wrote x.json`."""
    changed = set(differences(folder))
    folder.mkdir(parents=True, exist_ok=True)
    expected = export()
    done = []
    for name, text in expected.items():
        if name in changed:
            (folder / name).write_text(text, encoding="utf-8")
            done.append(f"wrote {name}")
    for stale in sorted(folder.glob("*.json")):
        if stale.name not in expected:
            stale.unlink()
            done.append(f"removed {stale.name}")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ksd_contracts.schemas", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the files differ from the code")
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help=f"the folder (default {SCHEMA_DIR})")
    args = parser.parse_args(argv)
    if args.check:
        differ = differences(args.dir)
        for name in differ:
            print(f"{args.dir / name} differs from the code", file=sys.stderr)
        if differ:
            print("run `python -m ksd_contracts.schemas` and commit the result", file=sys.stderr)
            return 1
        print(f"{len(export())} schemas up to date in {args.dir}")
        return 0
    changed = write(args.dir)
    for line in changed:
        print(line)
    print(f"{len(export())} schemas in {args.dir}, {len(changed)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
