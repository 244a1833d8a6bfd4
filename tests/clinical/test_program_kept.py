"""Issue 13: the exercise selection for inputs met again is kept per process
(program._CORES). Every call gets its own copy: changing a program handed out never
changes the next one."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from inscope_clinical import screen
from inscope_clinical.memo import forget_all

DOCUMENT = Path(__file__).resolve().parents[2] / "examples" / "screen-document.json"
AS_OF = dt.date(2026, 12, 1)


def test_a_kept_program_is_handed_out_as_a_fresh_copy_every_time() -> None:
    forget_all()
    doc = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    first = screen(doc, as_of=AS_OF)["program"]
    assert first["phases"][0]["exercises"], "the example is programmed"
    for _ in range(3):  # met twice: kept; then handed out from what is kept
        program = screen(doc, as_of=AS_OF)["program"]
        assert program == first
        exercise = program["phases"][0]["exercises"][0]
        exercise["cues"].append("changed by a caller")
        exercise["targets"].append({"muscle": "changed by a caller"})
        program["phases"][1]["exercises"].clear()
        program["restrictions"]["excluded_exercises"].append({"id": "changed"})
    assert screen(doc, as_of=AS_OF)["program"] == first
