"""Objective findings, phrased from the facts behind a decision (pure; no I/O).

Each finding is said twice: for the clinician (third person, test names, values) and for
the client (plain language, second person). Both report what was answered or observed,
never a cause or a diagnosis (SCOPE-3). A reason whose facts this module does not know
(a rule added to the engine later) falls back to its summary; the scope guard still
reads every word of it before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from inscope_clinical.explain import deciding_reasons
from inscope_clinical.letters import vocabulary as v
from inscope_clinical.letters.vocabulary import N_


@dataclass(frozen=True)
class Said:
    """A sentence for the client in any language: a template marked for the notify
    service's client catalog (``N_``) and its values. A value that is itself ``Said`` (a
    vocabulary label, a part of the sentence) is translated with it; what someone typed
    (a region, a quoted phrase) and numbers go in as they are."""

    template: str
    values: tuple[tuple[str, Any], ...] = ()

    def __call__(self, gettext: Callable[[str], str] = str) -> str:
        if not self.template:
            return ""  # gettext("") is the catalog's header
        text = gettext(self.template)
        if not self.values:
            return text
        return text.format(**{k: _in(value, gettext) for k, value in self.values})


def _in(value: Any, gettext: Callable[[str], str]) -> str:
    if isinstance(value, Said):
        return value(gettext)
    if isinstance(value, list):
        return ", ".join(_in(part, gettext) for part in value)
    return str(value)


def say(template: str, **values: Any) -> Said:
    return Said(template, tuple(values.items()))


def word(label: str) -> Said:
    """A vocabulary label (marked N_ where it is defined), translated where it is said."""
    return Said(label)


@dataclass(frozen=True)
class Finding:
    letter: str
    said: Said

    @property
    def client(self) -> str:
        """The client's sentence in the source language (English)."""
        return self.said()

    def client_in(self, gettext: Callable[[str], str]) -> str:
        """The client's sentence in the language of ``gettext`` (the client's catalog)."""
        return self.said(gettext)


_INDEXED = re.compile(r"^(pain|history\.\w+)\[(\d+)\]\.(\w+)$")
_FOLLOWUP = re.compile(r"^parq\.followups\.(\w+)\.([a-e])$")
_FIELDS = {
    "intake.notes": ("the client's intake notes", N_("your intake notes")),
    "intake.history.injuries": ("the client's injury description",
                                N_("your injury description")),
    "intake.history.surgeries": ("the client's surgery description",
                                 N_("your surgery description")),
}


def behind_outcome(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """Only the reasons behind the outcome that name its clinician: a cleared screen is no
    reason to refer, and a lower-urgency referral to another clinician, which the
    combination set aside (SYS-2), is not this letter's reason (the staff's client page
    shows the same split, inscope_clinical.explain)."""
    return deciding_reasons(decision)


def findings_of(reasons: Iterable[dict[str, Any]]) -> list[Finding]:
    """Every reason's facts as findings, in reason order, each said once."""
    found: list[Finding] = []
    for reason in reasons:
        for finding in _reason(reason):
            if finding.letter not in {f.letter for f in found}:
                found.append(finding)
    return found


def _reason(reason: dict[str, Any]) -> list[Finding]:
    facts = reason.get("facts")
    if not isinstance(facts, dict) or not facts:
        return _fallback(reason)
    if reason.get("rule") == "SYS-7":
        return _free_text(facts)
    found: list[Finding] = []
    indexed: dict[tuple[str, int], dict[str, Any]] = {}
    unknown = False
    for key, value in facts.items():
        match = _INDEXED.match(key)
        if match:
            indexed.setdefault((match[1], int(match[2])), {})[match[3]] = value
            continue
        phrased = _fact(key, value, facts)
        if phrased is None:
            unknown = unknown or key not in _QUIET
        else:
            found.extend(phrased)
    for (kind, _), entry in indexed.items():
        found.extend(_INDEXED_PHRASES[kind](entry))
    if not found and unknown:
        return _fallback(reason)
    return found


def _fallback(reason: dict[str, Any]) -> list[Finding]:
    text = str(reason.get("summary") or "").strip()
    if not text:
        return []
    # A rule this module does not know: its summary as the engine wrote it (English).
    return [Finding(f"{text} [{reason.get('rule', '')}]", say("{text}", text=text))]


# Facts that only qualify another fact (phrased with it) or say nothing a clinician
# needs (a cleared screen, the engine's bookkeeping).
_QUIET = {
    "age_band",
    "causes",
    "days_since",
    "fms.le_14",
    "compensation_rows",
    "imbalances.patterns",
    "fms.asymmetries",
    "parq",
    "acsm",
    "negated_mentions",
    "maps_to",
    "maps_to_source",
    "parq.used_to_vigorous_exercise",
    "acsm.medical_clearance_last_12_months",
}


def _fact(key: str, value: Any, facts: dict[str, Any]) -> list[Finding] | None:
    if key.startswith("parq.general.") and key.count(".") == 2:
        return _general(key.rsplit(".", 1)[1]) if value is True else []
    if key in ("general_yes", "followup_yes"):
        return [f for path in value or [] for f in _fact(path, True, facts) or []]
    match = _FOLLOWUP.match(key)
    if match:
        return _followup(match[1], match[2]) if value is True else []
    if key == "parq.followups.s4_blood_pressure.resting_bp_known":
        return [
            Finding(
                "Resting blood pressure not known to the client (PAR-Q+ follow-up 4b is "
                "therefore answered YES).",
                say(N_("You did not know your resting blood pressure.")),
            )
        ]
    if key.startswith("parq.delay.") and value is True:
        label = v.PARQ_DELAY.get(key.rsplit(".", 1)[1], v.words(key.rsplit(".", 1)[1]))
        return [Finding(f"PAR-Q+ delay condition reported: {label}.", _told(label))]
    if key == "parq.completed_on":
        return [
            Finding(
                f"PAR-Q+ completed on {value} ({facts.get('days_since')} days ago), older than "
                "12 months.",
                say(N_("Your health questionnaire is more than 12 months old.")),
            )
        ]
    if key == "unread_text":  # SYS-8: words in a language the screening does not read
        return [
            Finding(
                "Part of the client's notes is in a language other than English; our staff "
                "are having it read before any training.",
                say(N_("Part of what you wrote is in a language our screening does not read: "
                       "a member of our staff who reads it will read it before you train.")),
            )
        ]
    if key == "unanswered":
        return [
            Finding(
                f"PAR-Q+ incomplete: {len(value or [])} answer(s) missing.",
                say(N_("Some health questions were left unanswered.")),
            )
        ]
    return _acsm(key, value) or _other(key, value, facts)


def _general(g: str) -> list[Finding]:
    label = v.PARQ_GENERAL.get(g, g)
    return [
        Finding(
            f"PAR-Q+ general question {g.upper()} ({label}): YES.",
            say(N_("You answered yes to a health question about {topic}."),
                topic=word(v.PARQ_GENERAL_CLIENT.get(g, YOUR_HEALTH))),
        )
    ]


def _followup(section: str, sub: str) -> list[Finding]:
    title, subs = v.PARQ_SECTIONS.get(section, (v.words(section), {}))
    number = section.split("_", 1)[0].lstrip("s")
    label = subs.get(sub, sub)
    return [
        Finding(
            f"PAR-Q+ follow-up {number}{sub} ({title}: {label}): YES.",
            say(N_("You answered yes to a follow-up health question about {topic}."),
                topic=word(v.PARQ_SECTIONS_CLIENT.get(section, YOUR_HEALTH))),
        )
    ]


def _acsm(key: str, value: Any) -> list[Finding] | None:
    if key == "acsm.regular_exercise_3_months":
        said = {True: N_("yes"), False: N_("no"), None: N_("not known")}[value]
        return [
            Finding(
                f"Regular structured exercise over the last 3 months (ACSM definition): {said}.",
                say(N_("Regular exercise over the last 3 months: {answer}."), answer=word(said)),
            )
        ]
    if key == "acsm.desired_intensity":
        if not value:
            return []
        words = v.INTENSITY.get(value, value)
        return [
            Finding(
                f"Desired exercise intensity: {words}.",
                say(N_("You would like to train at {intensity} intensity."),
                    intensity=word(words)),
            )
        ]
    name = key.rsplit(".", 1)[-1]
    if key.startswith("acsm.known_") and value is True:
        label = v.ACSM_DISEASES.get(name, v.words(name))
        return [Finding(f"Client reports {label}.", _told(label))]
    if key.startswith("acsm.signs_symptoms.") and value is True:
        label = v.ACSM_SIGNS.get(name, v.words(name))
        return [
            Finding(
                f"Client reports {label} (ACSM sign/symptom list).",
                _told(label),
            )
        ]
    return None


def _other(key: str, value: Any, facts: dict[str, Any]) -> list[Finding] | None:
    if key.startswith("red_flags.") and value is True:
        label = v.RED_FLAGS.get(key.split(".", 1)[1], v.words(key.split(".", 1)[1]))
        return [
            Finding(
                f"Intake red-flag question answered YES: {label}.", _told(label)
            )
        ]
    if key == "age_years":
        band = facts.get("age_band")
        outside = f" (outside the {band[0]}-{band[1]} age band)" if band else ""
        return [Finding(f"Age {value}{outside}.",
                        say(N_("Your age ({age}) matters for this."), age=value))]
    if key == "fms.pain_zero":
        return _fms_pain(value or [], facts.get("causes") or {})
    if key == "fms.total":
        return [
            Finding(
                f"Functional Movement Screen total: {value}/21.",
                say(N_("In your movement screen your trainer scored seven basic movements from "
                       "0 to 3 each; yours added up to {total} out of 21. This is not a health "
                       "test: it shows which movements to work on first."), total=value),
            )
        ]
    if key == "assessment.pain_during":
        return [_pain_during(entry) for entry in value or []]
    return None


def _fms_pain(patterns: list[str], causes: dict[str, list[str]]) -> list[Finding]:
    found = []
    for pattern in patterns:
        listed = causes.get(pattern, [])
        seen = {c.partition(":")[0] for c in listed}
        # A painful clearing test is recorded twice (flag and pain entry): say it once.
        how = [_cause(c) for c in listed if c.partition(":")[2] not in seen]
        how_text = "; ".join(dict.fromkeys(h for h in how if h))
        found.append(
            Finding(
                f"Functional Movement Screen, {v.words(pattern)}: "
                f"{how_text or 'pain during the test'}; scored 0 for pain per FMS rules.",
                say(N_("You felt pain during the {test} test, one of the movements your "
                       "trainer asked you to do."), test=word(v.words(pattern))),
            )
        )
    return found


def _cause(cause: str) -> str:
    name, _, side = cause.partition(":")
    if name == "pain_during":
        return f"pain reported during the {v.words(side)}"
    if name == "raw_score_0":
        return "scored 0 by the trainer"
    test = v.words(name)
    return f"painful {test}, {side} side" if side else f"painful {test}"


def _pain_during(entry: dict[str, Any]) -> Finding:
    test = v.words(str(entry.get("test", "")))
    where = _where(entry.get("region"), entry.get("side"))
    nprs = entry.get("nprs")
    score = f", {nprs}/10 (NPRS)" if nprs is not None else ""
    where_said = _where_said(entry.get("region"), entry.get("side"))
    test_said = word(v.words(str(entry.get("test", ""))))
    if nprs is None:
        said = say(N_("You felt pain ({where}) during the {test}."), where=where_said,
                   test=test_said)
    else:
        said = say(N_("You felt pain ({where}) during the {test}, {nprs} out of 10."),
                   where=where_said, test=test_said, nprs=nprs)
    return Finding(f"Pain during the {test}: {where}{score}.", said)


def _where(region: Any, side: Any) -> str:
    region_text = str(region or "location not recorded")
    if side in ("left", "right", "bilateral") and str(side) not in region_text:
        return f"{region_text} ({'both sides' if side == 'bilateral' else side + ' side'})"
    return region_text


_SIDES = {"left": N_("{region} (left side)"), "right": N_("{region} (right side)"),
          "bilateral": N_("{region} (both sides)")}


def _where_said(region: Any, side: Any) -> Said | str:
    """``_where`` for the client: the region as typed, the words around it translated."""
    region_said: Said | str = str(region) if region else word(N_("location not recorded"))
    if side in _SIDES and str(side) not in str(region or "location not recorded"):
        return say(_SIDES[str(side)], region=region_said)
    return region_said


def _pain_parts(entry: dict[str, Any]) -> list[Said]:
    parts = []
    if entry.get("nprs_rest") is not None:
        parts.append(say(N_("{score} out of 10 at rest"), score=entry["nprs_rest"]))
    if entry.get("nprs_activity") is not None:
        parts.append(say(N_("{score} out of 10 with activity"), score=entry["nprs_activity"]))
    if entry.get("night_pain"):
        parts.append(say(N_("wakes you at night")))
    if entry.get("onset") in ("trauma", "no_trauma"):
        parts.append(say(N_("began {onset}"), onset=word(v.ONSETS[entry["onset"]])))
    if entry.get("doms"):
        parts.append(say(N_("described as post-exercise soreness")))
    return parts


def _intake_pain(entry: dict[str, Any]) -> list[Finding]:
    where = _where(entry.get("region"), entry.get("side"))
    parts = []
    if entry.get("nprs_rest") is not None:
        parts.append(f"{entry['nprs_rest']}/10 at rest")
    if entry.get("nprs_activity") is not None:
        parts.append(f"{entry['nprs_activity']}/10 with activity")
    if entry.get("night_pain"):
        parts.append("wakes the client at night")
    if entry.get("onset") in ("trauma", "no_trauma"):
        parts.append(f"began {v.ONSETS[entry['onset']]}")
    if entry.get("doms"):
        parts.append("described as post-exercise soreness")
    values = f": {', '.join(parts)}" if parts else ""
    client_where = _where_said(entry.get("region"), entry.get("side"))
    client_parts = _pain_parts(entry)
    said = (say(N_("You told us about pain: {where} ({details})."), where=client_where,
                details=client_parts) if client_parts
            else say(N_("You told us about pain: {where}."), where=client_where))
    return [Finding(f"Pain reported at intake (NPRS 0-10), {where}{values}.", said)]


def _region_said(entry: dict[str, Any]) -> Said | str:
    return entry.get("region") or word(N_("region not recorded"))


def _injury(entry: dict[str, Any]) -> list[Finding]:
    where = entry.get("region") or "region not recorded"
    return [
        Finding(
            f"Current injury reported: {where}.",
            say(N_("You told us about a current injury ({where})."), where=_region_said(entry)),
        )
    ]


def _surgery(entry: dict[str, Any]) -> list[Finding]:
    where = entry.get("region") or "region not recorded"
    return [
        Finding(
            f"Surgery ({where}) with ongoing rehabilitation needs.",
            say(N_("You are still in rehabilitation after surgery ({where})."),
                where=_region_said(entry)),
        )
    ]


def _therapy(entry: dict[str, Any]) -> list[Finding]:
    if not entry.get("discharged"):
        return [
            Finding(
                "Currently under physical-therapy care.",
                say(N_("You are currently seeing a physical therapist.")),
            )
        ]
    status = v.DISCHARGE.get(entry.get("discharge_status") or "", "")
    when = f" on {entry['discharge_date']}" if entry.get("discharge_date") else ""
    cleared = {True: N_("cleared for activity"), False: N_("not cleared for activity")}.get(
        entry.get("cleared_for_activity"), N_("clearance for activity not recorded")
    )
    details = [word(w) for w in (status, cleared) if w]
    said = (say(N_("You finished physical therapy on {date} ({details})."),
                date=entry["discharge_date"], details=details)
            if entry.get("discharge_date")
            else say(N_("You finished physical therapy ({details})."), details=details))
    return [
        Finding(
            f"Discharged from physical therapy{when}, {status}, {cleared}.".replace(", ,", ","),
            said,
        )
    ]


_INDEXED_PHRASES = {
    "pain": _intake_pain,
    "history.injuries": _injury,
    "history.surgeries": _surgery,
    "history.physical_therapy": _therapy,
}


def _free_text(facts: dict[str, Any]) -> list[Finding]:
    if "phrase" not in facts:
        return []  # negated mentions only: no change to the decision
    field = str(facts.get("field", ""))
    phrase = str(facts["phrase"])
    if field == "assessment.notes":
        return [
            Finding(
                f'The trainer\'s assessment notes include the words "{phrase}".',
                say(N_('Your trainer noted "{phrase}" during the assessment.'), phrase=phrase),
            )
        ]
    where_letter, where_client = _FIELDS.get(
        field.split("[", 1)[0], ("the client's intake form", N_("your intake form"))
    )
    return [
        Finding(
            f'In {where_letter}, the client\'s own words include "{phrase}".',
            say(N_('In {where} you wrote "{phrase}".'), where=word(where_client), phrase=phrase),
        )
    ]


YOUR_HEALTH = N_("your health")


def _told(label: str) -> Said:
    """What the client told us about, named with the questionnaire's label."""
    return say(N_("You told us about {label}."), label=word(label))
