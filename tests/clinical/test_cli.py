"""The ``inscope screen`` command: one JSON object out, exit 2 on invalid input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from clinical_builders import raw_assessment, raw_client, raw_intake

from inscope_clinical.cli import main

KEYS = {"outcome", "urgency", "target", "program_state", "reasons", "fms", "imbalances",
        "program", "flags"}


def _write(tmp_path: Path, doc: object) -> str:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def test_screen_file_prints_one_json_object(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    doc = {"client": raw_client(), "intake": raw_intake(), "assessment": raw_assessment()}
    code = main(["screen", _write(tmp_path, doc), "--as-of", "2025-03-01"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(out) >= KEYS
    assert out["outcome"] == "in_scope"
    assert out["age_years"] == 39
    assert out["fms"]["total"] == 14


def test_screen_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    doc = {"client": raw_client(), "intake": raw_intake(red_flags={"chest_pain_now": True})}
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(doc)))
    assert main(["screen", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["outcome"], out["urgency"]) == ("refer", "emergency")
    assert out["fms"] is None


def test_invalid_document_exits_2_with_field_messages(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    intake = raw_intake()
    intake["acsm"]["desired_intensity"] = "extreme"
    doc = {"client": raw_client() | {"first_name": "A\nB"}, "intake": intake}
    assert main(["screen", _write(tmp_path, doc)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "client.first_name:" in captured.err
    assert "intake.acsm.desired_intensity:" in captured.err


def test_unreadable_json_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    assert main(["screen", str(path)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    doc = {"client": raw_client(), "intake": raw_intake()}
    proc = subprocess.run(
        [sys.executable, "-m", "inscope_clinical", "screen", _write(tmp_path, doc)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["flags"] == ["awaiting:assessment"]


EXAMPLES = Path(__file__).parent / "examples"


@pytest.mark.parametrize("name, outcome, urgency, target, referral_rules", [
    ("in_scope.json", "in_scope", "none", None, []),
    ("referral.json", "refer", "routine", "physician", [["PARQ-6"], ["FMS-8"]]),
])
def test_documented_examples(name: str, outcome: str, urgency: str, target: str | None,
                             referral_rules: list, capsys: pytest.CaptureFixture) -> None:
    """The worked examples in docs/clinical-engine.md."""
    assert main(["screen", str(EXAMPLES / name), "--as-of", "2025-03-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["outcome"], out["urgency"], out["target"]) == (outcome, urgency, target)
    assert [r["rules"] for r in out["referrals"]] == referral_rules
    assert (out["program"] is not None) is (outcome == "in_scope")


@pytest.mark.parametrize("name, outcome, urgency, target, allowed", [
    ("dec1_pregnant.json", "clearance", "routine", "physician", False),
    ("dec4_chest_pain_row.json", "clearance", "urgent", "physician", False),
    ("dec6_knee_pain_pt.json", "refer", "routine", "physical_therapist", True),
    ("dec3_contradiction.json", "clearance", "urgent", "physician", False),
    ("dec10_blood_pressure.json", "clearance", "routine", "physician", False),
])
def test_dec_examples(name: str, outcome: str, urgency: str, target: str, allowed: bool,
                      capsys: pytest.CaptureFixture) -> None:
    """`inscope screen` on each DEC case type (documented in docs/clinical-engine.md)."""
    assert main(["screen", str(EXAMPLES / name), "--as-of", "2025-03-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["outcome"], out["urgency"], out["target"]) == (outcome, urgency, target)
    assert out["assessment_gate"]["allowed"] is allowed
    assert ("blocked:assessment" in out["flags"]) is not allowed
    assert ("review:contradiction" in out["flags"]) is name.startswith(("dec3", "dec4", "dec10"))


@pytest.mark.parametrize("name, flag", [
    ("dec5_clinician_guidelines.json", "follow:clinician_guidelines"),
    ("dec9_clearance_on_file.json", "follow:clearance_restrictions"),
])
def test_dec5_dec9_examples(name: str, flag: str, capsys: pytest.CaptureFixture) -> None:
    """Guidelines or a written clearance on file: in scope, within their restrictions."""
    assert main(["screen", str(EXAMPLES / name), "--as-of", "2025-03-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["outcome"], out["target"]) == ("in_scope", None)
    assert flag in out["flags"]
    assert out["program"]["intensity_cap"] == "moderate"
    assert out["restrictions"]["max_intensity"] == "moderate"


@pytest.mark.parametrize("name, outcome, urgency, target, review", [
    ("dec2_free_text_chest_now.json", "refer", "emergency", "emergency_services", True),
    ("dec2_free_text_exertional.json", "refer", "urgent", "physician", True),
    # "I'm diabetic, on metformin" (active, moderate): ACSM-3 decides (no referral); the
    # PAR-Q+ general YES the words imply asks for the follow-ups at review (DEC-3 way).
    ("dec2_free_text_disease.json", "in_scope", "none", None, True),
    ("dec2_free_text_negated.json", "in_scope", "none", None, False),
])
def test_dec2_free_text_examples(name: str, outcome: str, urgency: str, target: str | None,
                                 review: bool, capsys: pytest.CaptureFixture) -> None:
    """`inscope screen` on the DEC-2 free-text cases (docs/clinical-engine.md)."""
    assert main(["screen", str(EXAMPLES / name), "--as-of", "2025-03-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["outcome"], out["urgency"], out["target"]) == (outcome, urgency, target)
    assert ("review:free_text" in out["flags"]) is review
    # PAR-Q+ 2 / ACSM answered NO beside the very words: DEC-3 lists both sides.
    assert ("review:contradiction" in out["flags"]) is review


def test_dec8_example(capsys: pytest.CaptureFixture) -> None:
    """Single-leg squat and pushing/pulling findings: priorities, never a referral."""
    name = "dec8_single_leg_and_push_pull.json"
    assert main(["screen", str(EXAMPLES / name), "--as-of", "2025-03-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["outcome"], out["target"]) == ("in_scope", None)
    assert out["program"]["movement_priorities"] == [
        "single_leg_squat:left:knees_move_inward", "pushing:shoulders_elevate",
        "pulling:head_forward"]
