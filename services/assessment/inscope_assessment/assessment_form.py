"""The trainer's assessment form: flat HTML fields to and from the API's document.

Pure (no Flask, no database). Field names follow the document (``posture.forward_head``,
``fms.tests.hurdle_step.left``), so ``AssessmentSchema`` judges the form as it judges
``POST /assessments`` and each error lands next to its field.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

# OHSA-T1 checkpoints: where each compensation is watched from. Central ones are seen
# or not; the others are ticked per side (both sides = bilateral).
OHSA_VIEWS: dict[str, str] = {
    "feet_turn_out": "anterior",
    "feet_flatten": "anterior",
    "knees_move_inward": "anterior",
    "knees_move_outward": "anterior",
    "excessive_forward_lean": "lateral",
    "low_back_arches": "lateral",
    "low_back_rounds": "lateral",
    "arms_fall_forward": "lateral",
    "head_forward": "lateral",
    "shoulders_elevate": "anterior",
    "heels_rise": "posterior",
    "asymmetrical_weight_shift": "posterior",
}
CENTRAL = {"excessive_forward_lean", "low_back_arches", "low_back_rounds", "head_forward"}
PAIN_ROWS = 3


def _int(raw: str) -> Any:
    try:
        return int(raw)
    except ValueError:
        return raw  # the schema says "Not a valid integer." next to the field


def _yes_no(raw: str) -> bool | None:
    return {"yes": True, "no": False}.get(raw)


def build_document(
    form: Mapping[str, str],
    posture_findings: tuple[str, ...],
    fms_tests: tuple[str, ...],
    fms_bilateral: tuple[str, ...],
) -> tuple[dict[str, Any], dict[int, int]]:
    """The ``assessment`` part of POST /assessments, and the form row of each pain entry."""
    text = {k: (v or "").strip() for k, v in form.items()}
    posture: dict[str, Any] = {key: bool(text.get(f"posture.{key}")) for key in posture_findings}
    if text.get("posture.craniovertebral_angle_deg"):
        raw = text["posture.craniovertebral_angle_deg"]
        try:
            posture["craniovertebral_angle_deg"] = float(raw)
        except ValueError:
            posture["craniovertebral_angle_deg"] = raw
    document: dict[str, Any] = {
        "posture": posture,
        "ohsa": {"compensations": _compensations(text)},
        "pain_during": [],
    }
    document.update(_dec8(text))
    fms = _fms(text, fms_tests, fms_bilateral)
    if fms is not None:
        document["fms"] = fms
    rows: dict[int, int] = {}
    for index in range(PAIN_ROWS):
        prefix = f"pain_during.{index}"
        entry = {k: text.get(f"{prefix}.{k}", "") for k in ("test", "region", "side", "nprs")}
        if not (entry["test"] or entry["region"] or entry["nprs"]):
            continue
        row = {k: v for k, v in entry.items() if v}
        if "nprs" in row:
            row["nprs"] = _int(row["nprs"])
        rows[len(document["pain_during"])] = index
        document["pain_during"].append(row)
    if text.get("notes"):
        document["notes"] = text["notes"]
    return document, rows


# DEC-8: the single-leg squat (per standing leg) and the pushing/pulling assessments,
# with the OHSA-T2 rows they name.
SINGLE_LEG = ("knees_move_inward",)
PUSH_PULL = ("low_back_arches", "shoulders_elevate", "head_forward")
DEC8_LABELS = {
    "knees_move_inward": "Knee moves inward (valgus)",
    "low_back_arches": "Low back arches",
    "shoulders_elevate": "Shoulders elevate",
    "head_forward": "Head juts forward",
}


def _dec8(text: Mapping[str, str]) -> dict[str, Any]:
    """Each assessment is recorded when it was done (its box ticked) or a finding ticked."""
    out: dict[str, Any] = {}
    legs = {side: [n for n in SINGLE_LEG if text.get(f"single_leg_squat.{side}.{n}")]
            for side in ("left", "right")}
    if text.get("single_leg_squat.done") or legs["left"] or legs["right"]:
        out["single_leg_squat"] = legs
    for test in ("pushing", "pulling"):
        found = [n for n in PUSH_PULL if text.get(f"{test}.{n}")]
        if text.get(f"{test}.done") or found:
            out[test] = {"compensations": found}
    return out


def _compensations(text: Mapping[str, str]) -> list[dict[str, Any]]:
    found = []
    for name, view in OHSA_VIEWS.items():
        prefix = f"ohsa.{name}"
        if name == "asymmetrical_weight_shift":
            toward = text.get(f"{prefix}.shift_toward")
            if toward:
                found.append({"compensation": name, "view": view, "shift_toward": toward})
            continue
        if name in CENTRAL:
            if text.get(f"{prefix}.seen"):
                found.append({"compensation": name, "view": view, "side": "bilateral"})
            continue
        left, right = bool(text.get(f"{prefix}.left")), bool(text.get(f"{prefix}.right"))
        if left or right:
            side = "bilateral" if left and right else ("left" if left else "right")
            found.append({"compensation": name, "view": view, "side": side})
    return found


def _fms(
    text: Mapping[str, str], tests: tuple[str, ...], bilateral: tuple[str, ...]
) -> dict[str, Any] | None:
    """The FMS block, when any FMS field was filled in; the schema asks for the rest."""
    if not any(v for k, v in text.items() if k.startswith("fms.")):
        return None
    scores: dict[str, Any] = {}
    for test in tests:
        if test in bilateral:
            sides = {
                side: _int(text[f"fms.tests.{test}.{side}"])
                for side in ("left", "right")
                if text.get(f"fms.tests.{test}.{side}")
            }
            scores[test] = sides
        elif text.get(f"fms.tests.{test}"):
            scores[test] = _int(text[f"fms.tests.{test}"])
    clearing: dict[str, Any] = {"shoulder": {}}
    for side in ("left", "right"):
        answer = _yes_no(text.get(f"fms.clearing.shoulder.{side}", ""))
        if answer is not None:
            clearing["shoulder"][side] = answer
    for key in ("spinal_extension", "spinal_flexion"):
        answer = _yes_no(text.get(f"fms.clearing.{key}", ""))
        if answer is not None:
            clearing[key] = answer
    return {"tests": scores, "clearing": clearing}


def flatten_errors(
    messages: Mapping[Any, Any], rows: Mapping[int, int], prefix: str = ""
) -> dict[str, list[str]]:
    """Marshmallow's nested messages as {form field name: [messages]}."""
    out: dict[str, list[str]] = {}
    for key, inner in messages.items():
        if isinstance(key, int) and prefix == "pain_during":
            key = rows.get(key, key)
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(inner, Mapping):
            out.update(flatten_errors(inner, rows, path))
        else:
            out.setdefault(path, []).extend(str(m) for m in inner)
    return out


# -- the errors in the page's language -----------------------------------------------


def N_(text: str) -> str:  # noqa: N802 - gettext's marker
    """Marks the words below for the assessment's staff catalog (babel-staff.cfg);
    ``worded`` and ``summary`` translate them with the page's gettext."""
    return text


# The schema's messages (marshmallow's and inscope_clinical.schemas' own), each said as
# the English source (unchanged) and translated by the staff catalog with its numbers.
SCHEMA_WORDS: list[tuple[re.Pattern[str], str, tuple[str, ...]]] = [
    (re.compile(r"^Missing data for required field\.$"),
     N_("Missing data for required field."), ()),
    (re.compile(r"^Field may not be null\.$"), N_("Field may not be null."), ()),
    (re.compile(r"^Not a valid integer\.$"), N_("Not a valid integer."), ()),
    (re.compile(r"^Not a valid number\.$"), N_("Not a valid number."), ()),
    (re.compile(r"^Not a valid boolean\.$"), N_("Not a valid boolean."), ()),
    (re.compile(r"^Not a valid string\.$"), N_("Not a valid string."), ()),
    (re.compile(r"^Unknown field\.$"), N_("Unknown field."), ()),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
     ("min", "max")),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"),
     N_("Must be greater than or equal to %(min)s."), ("min",)),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"),
     N_("Must be less than or equal to %(max)s."), ("max",)),
    (re.compile(r"^Must be one of: (.*)\.$"), N_("Must be one of: %(choices)s."), ("choices",)),
    (re.compile(r"^Longer than maximum length (\d+)\.$"),
     N_("Longer than maximum length %(max)s."), ("max",)),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"),
     N_("Shorter than minimum length %(min)s."), ("min",)),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
     N_("Length must be between %(min)s and %(max)s."), ("min", "max")),
    (re.compile(r"^Must be a single line \(no CR or LF characters\)\.$"),
     N_("Must be a single line (no CR or LF characters)."), ()),
    (re.compile(r"^Required for asymmetrical_weight_shift \(OHSA-3\)\.$"),
     N_("Required for an asymmetrical weight shift (OHSA-3)."), ()),
    (re.compile(r"^Only allowed for asymmetrical_weight_shift\.$"),
     N_("Only allowed for an asymmetrical weight shift."), ()),
    # inscope_common.idempotency.PAGE_REUSED (tests/web/test_staff_language.py checks).
    (re.compile(r"^This form was already submitted with other answers\. Open a new form to "
                r"submit another\.$"),
     N_("This form was already submitted with other answers. Open a new form to submit "
        "another."), ()),
]
PAIN_ROW = N_("Pain %(n)s")  # a pain row's legend on the form
THE_FORM = N_("The form")  # where an error with no field of its own sits


def worded(message: str, gettext: Callable[[str], str] = str) -> str:
    """One schema message in the page's language (a message this table does not know:
    as it is)."""
    for pattern, sentence, names in SCHEMA_WORDS:
        found = pattern.match(message.strip())
        if found:
            return gettext(sentence) % dict(zip(names, found.groups(), strict=True))
    return message


def fid(name: str) -> str:
    """The element id of a form field (macros.html ``fid``)."""
    return "f-" + name.replace(".", "-")


def labels_on(page: str) -> dict[str, str]:
    """Every labelled element of a rendered form: id -> its words (the macros write
    ``id="…" data-label="…"`` on each field)."""
    return {hit.group(1): html.unescape(hit.group(2))
            for hit in re.finditer(r'\bid="([^"]+)" data-label="([^"]*)"', page)}


def summary(errors: Mapping[str, list[str]], labels: Mapping[str, str],
            gettext: Callable[[str], str] = str) -> list[tuple[str, str]]:
    """The error summary: (the field's element id, "its label: the message") for each
    field, in the page's language; the label is the form's own (the field's, else the
    nearest labelled field above it), a pain row's number before it."""
    out = []
    for name, messages in errors.items():
        parts = name.split(".")
        anchor = ""
        while parts and not anchor:
            anchor = fid(".".join(parts)) if fid(".".join(parts)) in labels else ""
            parts = parts if anchor else parts[:-1]
        label = labels.get(anchor) or gettext(THE_FORM)
        row = re.match(r"^pain_during\.(\d+)\.", name)
        if row:
            label = f"{gettext(PAIN_ROW) % {'n': int(row.group(1)) + 1}}: {label}"
        said = " ".join(worded(str(m), gettext) for m in messages)
        out.append((anchor or fid(name), f"{label}: {said}"))
    return out
