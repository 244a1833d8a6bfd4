"""Each reason's summary in the staff language (issue 15 item 6): the templates in
inscope_clinical.summaries say exactly what the rules write, every one of them."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

from inscope_clinical import summaries
from inscope_clinical.config import DEFAULT_CONFIG
from inscope_clinical.history import refer_pt
from inscope_clinical.journey import Text, Words, say
from inscope_clinical.reasons import Collector
from inscope_clinical.red_flags import NEURO_SIGNS, ROWS, _combined
from inscope_clinical.summaries import FRAGMENTS, TEMPLATES, summary_text

RULES = Path(summaries.__file__).parent
HOLE = "\x00"  # what varies: a template's %(name)s, an f-string's {value}


def _shapes(node: ast.AST) -> set[str] | None:
    """Every text the expression can be, with what varies as HOLE; None: not a text."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.JoinedStr):
        return {"".join(v.value if isinstance(v, ast.Constant) else HOLE for v in node.values)}
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _shapes(node.left), _shapes(node.right)
        if left is None or right is None:
            return None
        return {a + b for a, b in itertools.product(left, right)}
    if isinstance(node, ast.IfExp):
        body, orelse = _shapes(node.body), _shapes(node.orelse)
        return None if body is None or orelse is None else body | orelse
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
    ):
        return {HOLE}
    return None


def _written() -> tuple[set[str], list[str]]:
    """The summaries the rules' ``out.add(rule, facts, summary)`` calls write (and an
    ``summary = "..."`` they pass), and where one is not a text this can read."""
    found, unread = set(), []
    for path in sorted(RULES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "summary" for t in node.targets
            ):
                found |= _shapes(node.value) or set()
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "out"
                and len(node.args) >= 3
            ):
                continue
            shapes = _shapes(node.args[2])
            if shapes is None:
                unread.append(f"{path.name}:{node.lineno}:{ast.unparse(node.args[2])}")
            else:
                found |= shapes
    return found, unread


def _red_flag_summaries() -> set[str]:
    """The red-flag table's rows and the combined findings (cancer, first episode,
    motor loss, calf), graded each way the configuration allows."""
    found = {row.summary for row in ROWS}
    flag_sets = [
        {"cancer_history": True, NEURO_SIGNS[0]: True},
        {"cancer_history": True, "new_onset_spinal_pain": True},
        {"first_episode_axial_back_pain": True},
        {"major_motor_loss": True},
        {"unilateral_calf_pain_swelling": True},
    ]
    for flags in flag_sets:
        found |= {f[-1] for f in _combined(flags, 70, DEFAULT_CONFIG, Collector())}
    return found


def _shape(template: str) -> str:
    return summaries._PLACE.sub(HOLE, template)


def test_every_summary_the_rules_write_has_its_template_and_no_template_is_stale():
    written, unread = _written()
    assert len(written) > 45
    # Passed on from a table the next tests read (red_flags), a variable assigned
    # above (acsm's ``summary``).
    assert sorted(u.split(":")[0] for u in unread) == ["acsm.py", "red_flags.py", "red_flags.py"], (
        unread
    )
    red_flags = _red_flag_summaries()
    assert len(red_flags) == len(ROWS) + 5
    templates = {_shape(t) for t in TEMPLATES}
    assert written - templates == set()
    assert red_flags - templates == set()
    assert templates - written - red_flags == set()  # a template no rule writes


def test_every_fragment_is_written_by_the_rules():
    written = {
        node.value
        for p in RULES.glob("*.py")
        if p.name != "summaries.py"
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert set(FRAGMENTS) - written == set()
    assert {
        refer_pt(DEFAULT_CONFIG),
        refer_pt(DEFAULT_CONFIG.__class__(pt_referral_via_physician=True)),
    } <= set(FRAGMENTS)


def test_a_summary_says_back_the_stored_english_and_each_part_from_the_catalog():
    cases = {
        "Current injury: refer to a physical therapist, routine.": (
            "Current injury: %(refer)s, routine.",
            {"refer": "refer to a physical therapist"},
        ),
        "Pain at rest 7/10: handled as a red flag (RF-2/RF-3), urgent physician.": (
            "Pain at rest %(nprs)s/10: handled as a red flag (RF-2/RF-3), urgent physician.",
            {"nprs": "7"},
        ),
        "Pain reported in the chest: not a muscle or joint complaint; a physician should "
        "check it and clear the client before exercise.": (
            "Pain reported in the %(region)s: not a muscle or joint complaint; a physician "
            "should check it and clear the client before exercise.",
            {"region": "chest"},
        ),
    }
    for stored, (msgid, values) in cases.items():
        text = summary_text(stored)
        assert isinstance(text, Text) and text.msgid == msgid
        assert {k: str(v) for k, v in text.values.items()} == values
        assert str(text) == stored
    said = say(
        summary_text("Current injury: refer to a physical therapist, routine."), lambda m: f"[{m}]"
    )
    assert said == "[Current injury: [refer to a physical therapist], routine.]"
    assert isinstance(
        summary_text(
            "Pain at rest 7/10: handled as a red flag (RF-2/RF-3), urgent physician."
        ).values["nprs"],
        str,
    )  # data


def test_free_text_mentions_quote_the_words_and_say_the_labels():
    stored = (
        "Free text mentions 'chest tightness; odd' (chest pain); 'dizzy' (dizziness): "
        "already answered in the structured form."
    )
    text = summary_text(stored)
    assert str(text) == stored
    mentions = text.values["mentions"]
    assert isinstance(mentions, Words)
    said = say(text, lambda m: f"[{m}]")
    assert said == (
        "[Free text mentions ['chest tightness; odd' ([chest pain])]; "
        "['dizzy' ([dizziness])]: [already answered in the structured form].]"
    )


def test_an_old_decision_s_words_show_as_stored():
    assert (
        summary_text("  A rule's words from an older engine.  ")
        == "A rule's words from an older engine."
    )
    assert summary_text(None) == ""
    # A nested reason's words the templates do not know stay data in a known sentence.
    text = summary_text(
        "Free text reads as a structured answer: 'x' (y). Graded as if it "
        "were ticked (RF-9): Old words."
    )
    assert isinstance(text, Text) and text.values["summary"] == "Old words."
