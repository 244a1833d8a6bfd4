"""Writes ``engine_golden.json``: what screen() and the free-text reader give today, for
test_engine_golden.py (the engine's speed work must not change a single result).

Run from the repository root, on the engine whose behaviour is the reference:
``.venv/bin/python tests/clinical/golden/make_golden.py``. Only tuning phrases are
read (never holdout/).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CLINICAL = HERE.parent
ROOT = CLINICAL.parent.parent
sys.path[:0] = [str(CLINICAL), str(ROOT)]

import phrase_yaml  # noqa: E402
import yaml  # noqa: E402
from clinical_builders import raw_intake  # noqa: E402

from bench.engine import documents  # noqa: E402
from inscope_clinical import screen  # noqa: E402
from inscope_clinical.free_text import read  # noqa: E402

AS_OF = dt.date(2026, 12, 1)
# tuning/ and every round listed as tuned in phrases/rounds.yaml
PARTS = ("tuning", *yaml.safe_load((CLINICAL / "phrases" / "rounds.yaml").read_text(
    encoding="utf-8"))["tuned"])
SCREEN_EVERY = 5  # every fifth phrase also goes through screen() in the notes


def phrase_files() -> list[tuple[str, list[str]]]:
    out = []
    for part in PARTS:
        for path in sorted((CLINICAL / "phrases" / part).glob("*.yaml")):
            doc = phrase_yaml.load(path)
            out.append((f"{part}/{path.name}", doc["positives"] + doc["negatives"]))
    return out


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def client(notes: str) -> dict[str, Any]:
    return {"client": {"first_name": "A", "last_name": "B", "date_of_birth": "1970-05-01"},
            "intake": {**raw_intake(), "notes": notes}}


def results() -> dict[str, Any]:
    examples = [screen(doc, as_of=AS_OF) for doc in documents()]
    reads, screens = {}, {}
    for name, phrases in phrase_files():
        reads[name] = digest([read(p, "intake.notes", as_of=AS_OF) for p in phrases])
        screens[name] = digest([screen(client(p), as_of=AS_OF)
                                for p in phrases[::SCREEN_EVERY]])
    return {"examples": json.loads(json.dumps(examples, default=str)),
            "read": reads, "screen": screens}


if __name__ == "__main__":
    (HERE / "engine_golden.json").write_text(
        json.dumps(results(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
