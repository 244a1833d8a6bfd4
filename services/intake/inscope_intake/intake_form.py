"""The front desk's intake form: flat HTML form fields to and from the API's document.

Pure (no Flask, no database): field names are the document's dotted paths
(``intake.parq.general.g1``, ``intake.pain.0.region``), so the same schemas that judge
``POST /intakes`` judge the form, and each error lands next to its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from inscope_clinical import vocab
from inscope_clinical.clearances import CLEARANCE_CONDITIONS
from inscope_clinical.restrictions import MOVEMENT_TAGS

# Repeating sections: how many rows the form offers, and the fields of one row.
# The page shows none at first; "Add pain area" and the like open one more, up to these.
ROWS: dict[str, int] = {"pain": 6, "surgeries": 4, "injuries": 4, "physical_therapy": 3}
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    "pain": (
        "region",
        "side",
        "nprs_rest",
        "nprs_activity",
        "duration_weeks",
        "onset",
        "night_pain",
        "doms",
        "assessed_by_clinician",
    ),
    "surgeries": ("procedure", "region", "date", "ongoing_rehabilitation"),
    "injuries": ("description", "region", "date", "current"),
    "physical_therapy": (
        "region",
        "discharged",
        "discharge_date",
        "discharge_status",
        "cleared_for_activity",
        "guidelines",
    ),
}
# Fields that do not by themselves make a row count as filled in (defaults of a select).
ROW_DEFAULTS = {"side", "onset", "discharge_status"}
INTEGERS = {"nprs_rest", "nprs_activity"}
FLOATS = {"duration_weeks"}
# Checkboxes: ticked is true, unticked is false (never "unanswered").
CHECKBOXES = {"doms", "assessed_by_clinician"}
CONSENT_FLAGS = ("assessment", "share_with_physician", "email")
MAX_DRAWN_SIGNATURE = 150_000  # characters of a PNG data URL

DATA_URL = re.compile(r"^data:image/png;base64,[A-Za-z0-9+/=]+$")


def yes_no(raw: str | None) -> bool | None:
    """A yes/no radio pair: "yes", "no", or nothing chosen (None)."""
    return {"yes": True, "no": False}.get((raw or "").strip().lower())


def _number(raw: str, kind: type) -> Any:
    try:
        return kind(raw)
    except ValueError:
        return raw  # the schema reports "Not a valid ..." next to the field


def build_document(
    form: Mapping[str, str],
    gates: Mapping[str, tuple[str, ...]],
    general: tuple[str, ...],
    delay: tuple[str, ...],
    acsm_signs: tuple[str, ...],
    red_flags: tuple[str, ...],
    signed_at: str,
) -> tuple[dict[str, Any], dict[tuple[str, int], int]]:
    """The request body for POST /intakes, and where each kept row came from on the form
    (so an error on ``intake.pain.0`` shows on the form row it was typed in)."""
    rows: dict[tuple[str, int], int] = {}
    text = {k: (v or "").strip() for k, v in form.items()}

    def value(path: str) -> str:
        return text.get(path, "")

    def put(target: dict[str, Any], key: str, path: str) -> None:
        if value(path):
            target[key] = value(path)

    client: dict[str, Any] = {}
    for key in ("first_name", "last_name", "date_of_birth", "email", "phone",
                "preferred_language"):
        put(client, key, f"client.{key}")

    parq: dict[str, Any] = {
        "version": value("intake.parq.version"),
        "general": {g: yes_no(value(f"intake.parq.general.{g}")) for g in general},
        "delay": {d: bool(value(f"intake.parq.delay.{d}")) for d in delay},
        "followups": _followups(value, gates),
    }
    put(parq, "completed_on", "intake.parq.completed_on")
    vigorous = yes_no(value("intake.parq.used_to_vigorous_exercise"))
    if vigorous is not None:
        parq["used_to_vigorous_exercise"] = vigorous

    acsm: dict[str, Any] = {
        "regular_exercise_3_months": yes_no(value("intake.acsm.regular_exercise_3_months")),
        "medical_clearance_last_12_months": yes_no(
            value("intake.acsm.medical_clearance_last_12_months")
        ),
        "signs_symptoms": {},
    }
    for key in ("known_cv_disease", "known_metabolic_disease", "known_renal_disease"):
        _required_yes_no(acsm, key, value(f"intake.acsm.{key}"))
    for sign in acsm_signs:
        _required_yes_no(acsm["signs_symptoms"], sign, value(f"intake.acsm.signs_symptoms.{sign}"))
    put(acsm, "desired_intensity", "intake.acsm.desired_intensity")

    intake: dict[str, Any] = {
        "parq": parq,
        "acsm": acsm,
        "red_flags": {flag: bool(value(f"intake.red_flags.{flag}")) for flag in red_flags},
        "pain": _rows(value, "pain", "intake.pain", rows),
        "history": {
            section: _rows(value, section, f"intake.history.{section}", rows)
            for section in ("surgeries", "injuries", "physical_therapy")
        },
        "consent": {
            "version": value("intake.consent.version"),
            "signed_at": signed_at,
        },
    }
    # Each consent is an explicit Yes or No; unanswered, the schema says it is required.
    for flag in CONSENT_FLAGS:
        _required_yes_no(intake["consent"], flag, value(f"intake.consent.{flag}"))
    for section in CLINICIAN_ROWS:
        found = clinician_rows(value, section, rows)
        if found:
            intake["history"][section] = found
    recorded = vitals(value)
    if recorded:
        intake["vitals"] = recorded
    put(intake["consent"], "signed_by", "intake.consent.signed_by")
    physician: dict[str, Any] = {}
    for key in ("name", "clinic", "email", "phone"):
        put(physician, key, f"intake.physician.{key}")
    if physician:
        intake["physician"] = physician
    put(intake, "notes", "intake.notes")
    put(intake, "notes_written_by", "intake.notes_written_by")
    return {"client": client, "intake": intake}, rows


# DEC-5 / DEC-9: clinicians' written guidelines and written clearances on file, each with
# the clinician's restrictions (intensity cap, movements to avoid, notes).
CLINICIAN_ROWS = {"clinician_guidelines": 2, "written_clearances": 2}
CLINICIAN_FIELDS = {
    "clinician_guidelines": ("profession", "clinician_name", "date", "region", "guidelines"),
    "written_clearances": ("clinician_name", "profession", "date", "document_seen"),
}


def _restrictions(value: Any, prefix: str) -> dict[str, Any] | None:
    cap = value(f"{prefix}.max_intensity")
    avoid = [tag for tag in MOVEMENT_TAGS if value(f"{prefix}.avoid_movements.{tag}")]
    notes = value(f"{prefix}.notes")
    if not (cap or avoid or notes):
        return None
    out: dict[str, Any] = {"max_intensity": cap or None, "avoid_movements": avoid}
    if notes:
        out["notes"] = notes
    return out


def clinician_rows(value: Any, section: str, origin: dict[tuple[str, int], int]
                   ) -> list[dict[str, Any]]:
    """Rows of written guidelines (DEC-5) or written clearances (DEC-9); a row counts
    when any of its fields is filled in."""
    prefix = f"intake.history.{section}"
    kept = []
    for index in range(CLINICIAN_ROWS[section]):
        row: dict[str, Any] = {}
        for field in CLINICIAN_FIELDS[section]:
            raw = value(f"{prefix}.{index}.{field}")
            if raw in ("yes", "no"):
                row[field] = yes_no(raw)
            elif raw:
                row[field] = raw
        if section == "written_clearances":
            conditions = [c for c in CLEARANCE_CONDITIONS
                          if value(f"{prefix}.{index}.conditions.{c}")]
            if conditions:
                row["conditions"] = conditions
        limits = _restrictions(value, f"{prefix}.{index}.restrictions")
        if limits:
            row["restrictions"] = limits
        if not row:
            continue
        origin[(prefix, len(kept))] = index
        kept.append(row)
    return kept


def vitals(value: Any) -> dict[str, Any]:
    """DEC-10: recorded values (a block counts when any of its fields is filled in)."""
    blocks = {
        "resting_bp": {"systolic": int, "diastolic": int, "measured_on": str,
                       "on_medication": bool},
        "resting_heart_rate": {"bpm": int, "measured_on": str},
        "weight_change": {"change_kg": float, "over_weeks": float, "intentional": bool,
                          "body_weight_kg": float},
    }
    out: dict[str, Any] = {}
    for block, kinds in blocks.items():
        entry: dict[str, Any] = {}
        for field, kind in kinds.items():
            raw = value(f"intake.vitals.{block}.{field}")
            if not raw:
                continue
            entry[field] = yes_no(raw) if kind is bool else (
                raw if kind is str else _number(raw, kind))
        if entry:
            out[block] = entry
    return out


def _required_yes_no(target: dict[str, Any], key: str, raw: str) -> None:
    answer = yes_no(raw)
    if answer is not None:  # left out, the schema says "Missing data for required field."
        target[key] = answer


def _followups(value: Any, gates: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """A section's sub-answers count only when its gate is YES (PARQ-4): answers typed
    under a gate later switched to NO are dropped, whatever the browser sent."""
    out: dict[str, Any] = {}
    for section, subs in gates.items():
        prefix = f"intake.parq.followups.{section}"
        gate = yes_no(value(f"{prefix}.gate"))
        if gate is None:
            continue
        answers: dict[str, Any] = {"gate": gate}
        if gate:
            extra = ("resting_bp_known",) if section == "s4_blood_pressure" else ()
            for sub in (*subs, *extra):
                answers[sub] = yes_no(value(f"{prefix}.{sub}"))
        out[section] = answers
    return out


def _rows(
    value: Any, section: str, prefix: str, origin: dict[tuple[str, int], int]
) -> list[dict[str, Any]]:
    kept = []
    for index in range(ROWS[section]):
        raw = {f: value(f"{prefix}.{index}.{f}") for f in ROW_FIELDS[section]}
        if not any(v for f, v in raw.items() if f not in ROW_DEFAULTS | CHECKBOXES):
            continue  # an untouched row
        row: dict[str, Any] = {}
        for field, raw_value in raw.items():
            if field in CHECKBOXES:
                row[field] = bool(raw_value)
            elif raw_value in ("yes", "no"):
                row[field] = yes_no(raw_value)
            elif not raw_value:
                continue
            elif field in INTEGERS:
                row[field] = _number(raw_value, int)
            elif field in FLOATS:
                row[field] = _number(raw_value, float)
            else:
                row[field] = raw_value
        origin[(prefix, len(kept))] = index
        kept.append(row)
    return kept


def flatten_errors(
    messages: Mapping[Any, Any], rows: Mapping[tuple[str, int], int], prefix: str = ""
) -> dict[str, list[str]]:
    """Marshmallow's nested messages as {form field name: [messages]}."""
    out: dict[str, list[str]] = {}
    for key, inner in messages.items():
        if isinstance(key, int):
            key = rows.get((prefix, key), key)
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(inner, Mapping):
            out.update(flatten_errors(inner, rows, path))
        else:
            out.setdefault(path, []).extend(str(m) for m in inner)
    return out


MISSING = "Missing data for required field."


def page_checks(
    form: Mapping[str, str], red_flag_groups: Mapping[str, Mapping[str, str]]
) -> dict[str, list[str]]:
    """What the page asks beyond the API (the API keeps accepting an incomplete PAR-Q+,
    which screens as on hold): every PAR-Q+ general question; the follow-up sections'
    first questions when any general answer is Yes, and a section's questions when its
    first is Yes; each warning-sign group's "Any of these?", in agreement with the
    signs ticked (a ticked sign always counts: it is never dropped)."""
    text = {k: (v or "").strip() for k, v in form.items()}
    errors: dict[str, list[str]] = {}
    general = [k for k in text if k.startswith("intake.parq.general.")]
    for key in vocab.PARQ_GENERAL:
        name = f"intake.parq.general.{key}"
        if yes_no(text.get(name)) is None:
            errors[name] = [MISSING]
    if any(text.get(k) == "yes" for k in general):
        for section, subs in vocab.PARQ_SECTIONS.items():
            prefix = f"intake.parq.followups.{section}"
            gate = yes_no(text.get(f"{prefix}.gate"))
            if gate is None:
                errors[f"{prefix}.gate"] = [MISSING]
            elif gate:
                for sub in subs:
                    if yes_no(text.get(f"{prefix}.{sub}")) is None:
                        errors[f"{prefix}.{sub}"] = [MISSING]
    for index, flags in enumerate(red_flag_groups.values(), start=1):
        name = f"screen.red_flags.{index}"
        ticked = [str(words) for key, words in flags.items() if text.get(f"intake.red_flags.{key}")]
        answer = yes_no(text.get(name))
        if answer is None and not ticked:
            errors[name] = [MISSING]
        elif answer is False and ticked:
            errors[name] = [f"Answered No, but ticked: {'; '.join(ticked)}. Check with the "
                            "client: answer Yes, or untick what they do not have."]
        elif answer is True and not ticked:
            errors[name] = ["Answered Yes: tick each sign the client reports, or answer No."]
    return errors


def implied_answers(
    form: Mapping[str, str], rules: tuple[tuple[str, str, str, str, str], ...]
) -> dict[str, str]:
    """The answers that other answers settle (duplicate questions merged,
    ``questions.IMPLIED``), for the questions the form left unanswered: the page does
    not ask them again (with JavaScript it hides them and says why)."""
    out: dict[str, str] = {}
    for target, source, when, value, _words in rules:
        if (form.get(target) or "").strip() or target in out:
            continue
        if (form.get(source) or "").strip() == when:
            out[target] = value
    return out


def screener_values(
    values: Mapping[str, str], red_flag_groups: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """The "Any of these?" answers that a stored intake implies (for its correction)."""
    return {
        f"screen.red_flags.{index}": "yes" if any(
            values.get(f"intake.red_flags.{key}") for key in flags) else "no"
        for index, flags in enumerate(red_flag_groups.values(), start=1)
    }


def read_signature(form: Mapping[str, str]) -> tuple[dict[str, str] | None, dict[str, list[str]]]:
    """The typed or drawn signature: what the consent schema does not hold."""
    typed = (form.get("signature.typed") or "").strip()
    drawn = (form.get("signature.drawn") or "").strip()
    if drawn:
        if len(drawn) > MAX_DRAWN_SIGNATURE or not DATA_URL.match(drawn):
            return None, {"signature": ["The drawn signature could not be read; draw it again."]}
        return {"kind": "drawn", "value": drawn}, {}
    if typed:
        if len(typed) > 200 or "\n" in typed or "\r" in typed:
            return None, {"signature.typed": ["Type the signature on one line (200 characters)."]}
        return {"kind": "typed", "value": typed}, {}
    return None, {"signature": ["Type or draw the client's signature."]}


def form_values(client: Mapping[str, Any], doc: Mapping[str, Any]) -> dict[str, str]:
    """The form's fields filled in from a stored intake (the correction page starts from
    the current version): the inverse of ``build_document``."""

    def yn(answer: Any) -> str:
        return "yes" if answer is True else "no" if answer is False else ""

    values: dict[str, str] = {}
    for key in ("first_name", "last_name", "date_of_birth", "email", "phone",
                "preferred_language"):
        if client.get(key):
            values[f"client.{key}"] = str(client[key])
    parq = doc.get("parq") or {}
    if parq.get("completed_on"):
        values["intake.parq.completed_on"] = str(parq["completed_on"])
    for key, answer in (parq.get("general") or {}).items():
        values[f"intake.parq.general.{key}"] = yn(answer)
    values["intake.parq.used_to_vigorous_exercise"] = yn(parq.get("used_to_vigorous_exercise"))
    for key, ticked in (parq.get("delay") or {}).items():
        if ticked:
            values[f"intake.parq.delay.{key}"] = "on"
    for section, answers in (parq.get("followups") or {}).items():
        for sub, answer in answers.items():
            values[f"intake.parq.followups.{section}.{sub}"] = yn(answer)
    acsm = doc.get("acsm") or {}
    for key in (
        "regular_exercise_3_months",
        "medical_clearance_last_12_months",
        "known_cv_disease",
        "known_metabolic_disease",
        "known_renal_disease",
    ):
        values[f"intake.acsm.{key}"] = yn(acsm.get(key))
    for sign, answer in (acsm.get("signs_symptoms") or {}).items():
        values[f"intake.acsm.signs_symptoms.{sign}"] = yn(answer)
    if acsm.get("desired_intensity"):
        values["intake.acsm.desired_intensity"] = str(acsm["desired_intensity"])
    for flag, ticked in (doc.get("red_flags") or {}).items():
        if ticked:
            values[f"intake.red_flags.{flag}"] = "on"
    sections = {"pain": doc.get("pain") or []}
    history = doc.get("history") or {}
    for section in ("surgeries", "injuries", "physical_therapy"):
        sections[section] = history.get(section) or []
    for section, rows in sections.items():
        prefix = "intake.pain" if section == "pain" else f"intake.history.{section}"
        for i, row in enumerate(rows[: ROWS[section]]):
            for field in ROW_FIELDS[section]:
                value = row.get(field)
                if value is None:
                    continue
                if field in CHECKBOXES:
                    if value:
                        values[f"{prefix}.{i}.{field}"] = "on"
                elif isinstance(value, bool):
                    values[f"{prefix}.{i}.{field}"] = yn(value)
                else:
                    values[f"{prefix}.{i}.{field}"] = str(value)
    consent = doc.get("consent") or {}
    for flag in CONSENT_FLAGS:
        values[f"intake.consent.{flag}"] = yn(consent.get(flag))
    if consent.get("signed_by"):
        values["intake.consent.signed_by"] = str(consent["signed_by"])
    for key, value in (doc.get("physician") or {}).items():
        if value:
            values[f"intake.physician.{key}"] = str(value)
    if doc.get("notes"):
        values["intake.notes"] = str(doc["notes"])
    if doc.get("notes_written_by"):
        values["intake.notes_written_by"] = str(doc["notes_written_by"])
    return {k: v for k, v in values.items() if v != ""}
