"""FMS-8 names where the pain was and how strong (REF-1 asks letters for NPRS and place)."""

import json
from pathlib import Path

from inscope_clinical import screen

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_fms8_reason_carries_the_reported_pain():
    document = json.loads((EXAMPLES / "intake.json").read_text())
    document["assessment"] = json.loads((EXAMPLES / "assessment-pain.json").read_text())
    result = screen(document)
    fms8 = next(r for r in result["reasons"] if r["rule"] == "FMS-8")
    assert fms8["facts"]["assessment.pain_during"] == [
        {"test": "shoulder_clearing", "region": "front of right shoulder", "side": "right",
         "nprs": 3}
    ]
    assert all(r["rule"] != "PAIN-6" for r in result["reasons"])  # not counted twice
