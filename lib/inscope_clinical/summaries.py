"""Each reason's ``summary`` in the staff language (issue 15 item 6; pure).

The rules write their summaries in English (``Collector.add``), and decisions are stored
with them: the events, the golden files and old decisions keep exactly those words. A
staff page says a stored summary in its language by matching it whole against the
rules' summaries below, each declared once as a staff msgid (``S_``) with ``%(name)s``
for what varies, and turning it back into a ``journey.Text``. What fills a place is
matched the same way against the rules' word fragments (``FRAGMENTS``: how to refer,
a grade, a body region, the ``why`` of a free-text note, another reason's summary);
what matches nothing is data (a number, what a client typed) and is quoted as it is.
A summary that matches no template (an old decision's words) shows as stored.

Keep these in step with the rules' ``out.add(...)`` calls: tests/clinical/
test_summaries.py reads those calls and the red-flag table and fails on a summary
without its template or a template no rule writes; tests/web/test_staff_language.py
says every summary of its decisions back in English and in a pseudo language.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any


def S_(text: str) -> str:  # noqa: N802 - gettext's marker
    """Marks a staff text (only the staff catalogs extract ``S_``)."""
    return text


# Whole summaries, as the rules write them (acsm, contradictions, decision, free_text,
# history, parq, red_flags).
TEMPLATES = (
    # acsm.py
    S_("Activity level unknown: treated as not regularly active."),
    S_(
        "Known disease, no signs or symptoms, with a written medical clearance on file for "
        "it: training follows the clearance's restrictions."
    ),
    S_(
        "Regularly active, no known disease, no signs/symptoms: medical clearance not "
        "necessary; continue moderate or vigorous exercise."
    ),
    S_(
        "Not regularly active, no known disease, no signs/symptoms: medical clearance not "
        "necessary; light-to-moderate, progress gradually."
    ),
    S_("Regularly active with signs/symptoms: discontinue exercise and seek medical clearance."),
    S_("Signs/symptoms of CV, metabolic or renal disease: medical clearance recommended."),
    S_(
        "Signs or symptoms of heart, metabolic or kidney disease: %(grade)s medical "
        "clearance (physician) before exercise."
    ),
    S_(
        "Not regularly active with known CV, metabolic or renal disease: medical clearance "
        "recommended before exercise."
    ),
    S_("Known disease without medical clearance in the last 12 months: clearance recommended."),
    S_(
        "Regularly active with known disease, asymptomatic, wants vigorous: clearance not "
        "necessary for moderate, recommended before vigorous."
    ),
    S_(
        "Regularly active with known disease, asymptomatic: clearance not necessary for "
        "moderate intensity (recommended before vigorous)."
    ),
    # contradictions.py
    S_(
        "Some answers contradict each other or a recorded value: the more serious answer "
        "is used and staff should review the record."
    ),
    S_("Some answers were taken from recorded values or from other answers."),
    # decision.py
    S_(
        "Pain during a movement-screen pattern or its clearing test (scored 0): stop "
        "loading that pattern; %(refer)s. A high total never cancels a 0."
    ),
    S_(
        "Pain produced during the assessment: %(refer)s, routine (pain intensity does not "
        "lower the grade)."
    ),
    S_("FMS total <= 14: a movement-quality priority flag only, never a referral trigger."),
    S_(
        "FMS score, asymmetries, compensations and posture patterns drive program "
        "priorities; they do not trigger referral by themselves."
    ),
    S_(
        "Older than 45 and not used to vigorous exercise: consult a qualified exercise "
        "professional before exercising at vigorous intensity."
    ),
    S_("PAR-Q+ cleared but ACSM recommends medical clearance: the more conservative result wins."),
    S_(
        "The movement assessment is a fitness appraisal: deferred until the clinician's "
        "answer clears the client."
    ),
    S_("The movement assessment may go on while the referral is open."),
    S_(
        "The movement assessment may go on while the referral is open, at moderate "
        "intensity at most."
    ),
    S_(
        "The movement assessment may go on while the referral is open, leaving out the "
        "movements that load the painful region."
    ),
    S_(
        "The movement assessment may go on while the referral is open, at moderate "
        "intensity at most, leaving out the movements that load the painful region."
    ),
    # free_text.py
    S_("Free text mentions dismissed by staff on review (reason on the intake): not graded."),
    S_("Free text written in a language the screening does not read: on hold until a member "
       "of staff who reads it has read it (correct the intake if it describes a symptom)."),
    S_(
        "Free text names red-flag, ACSM or PAR-Q+ terms only as negated, resolved, "
        "conditional, long past or about someone else: no change to the decision."
    ),
    S_(
        "Free text answers PAR-Q+ %(answers)s YES (%(phrases)s): the follow-up questions "
        "are asked for at review, as for a contradicted NO (DEC-3)."
    ),
    S_(
        "Free text mentions '%(phrase)s' (current pain): %(refer)s, routine (RF-4), and "
        "flag the record for staff review."
    ),
    S_("Free text mentions pain that a structured pain entry already records: no second referral."),
    S_(
        "Free text reads as a structured answer: %(mentions)s. Graded as if it were ticked "
        "(%(rule)s): %(summary)s"
    ),
    S_("Free text mentions %(mentions)s: %(why)s."),
    S_(
        "Free text describes %(mentions)s in a relative, and nothing about the writer: if a "
        "relative wrote the notes for the client, these are the client's (confirm them, and "
        "record who wrote the notes); otherwise dismiss. No change to the decision until then."
    ),
    S_(
        "Structured answers say NO where the client's own words describe the very thing: "
        "the words are taken (the more serious answer) and both sides are listed for staff "
        "review."
    ),
    # history.py
    S_("Pain at rest %(nprs)s/10: handled as a red flag (RF-2/RF-3), urgent physician."),
    S_(
        "Pain waking the client at night: handled as a red flag (RF-2 night pain), urgent "
        "physician."
    ),
    S_(
        "Pain reported in the %(region)s: not a muscle or joint complaint; a physician "
        "should check it and clear the client before exercise."
    ),
    S_(
        "Pain already assessed by a clinician who gave guidelines, not reproduced by "
        "movement, no red flags: in scope; follow the clinician's guidelines."
    ),
    S_("Current musculoskeletal pain reported at intake: %(refer)s, routine."),
    S_("Soreness reported as DOMS: checked against the movement screen at assessment."),
    S_(
        "DOMS not produced or increased by any tested movement: it does not make the "
        "screen painful."
    ),
    S_("Current injury: %(refer)s, routine."),
    S_("Post-surgical rehabilitation needs: %(refer)s, routine."),
    S_("Currently under physical-therapy care: %(coordinate)s before training."),
    S_("Discharged from physical therapy with ongoing or new symptoms: %(refer)s."),
    S_("Discharged symptom-free but symptoms reproduced in the assessment: %(refer)s."),
    S_(
        "Discharged symptom-free but clearance for activity not recorded: obtain it from "
        "%(clinician)s."
    ),
    S_(
        "Discharged from physical therapy, symptom-free and cleared for activity: in "
        "scope; obtain and follow the therapist's guidelines."
    ),
    # parq.py
    S_("Temporary illness: wait until feeling better before becoming more active."),
    S_(
        "Pregnant, with a written clearance on file from the client's clinician: training "
        "follows its restrictions."
    ),
    S_(
        "Pregnant: talk to a health-care practitioner and/or complete the ePARmed-X+ "
        "before becoming more active; the physician is asked to clear the client."
    ),
    S_(
        "Health has changed: re-answer the follow-up questions and/or talk to a doctor "
        "before continuing."
    ),
    S_("The PAR-Q+ is older than 12 months and no longer valid; it must be completed again."),
    S_(
        "PAR-Q+ incomplete: the outcome cannot be computed; request completion (no "
        "clearance, no assessment)."
    ),
    S_("All seven general PAR-Q+ answers are NO: cleared for physical activity."),
    S_("General YES but every follow-up answer NO: ready to become more active."),
    S_(
        "PAR-Q+ follow-up answer YES, with a written clearance on file for this condition: "
        "training follows its restrictions."
    ),
    S_("Resting blood pressure not known: follow-up 4b is answered YES (published PAR-Q+ note)."),
    S_(
        "PAR-Q+ follow-up answer YES: further information (ePARmed-X+ / physician "
        "clearance) is needed before becoming more active or a fitness appraisal."
    ),
    # red_flags.py
    S_("Possible cauda equina syndrome features: emergency care now."),
    S_("Deteriorating neurology (possible cord compression): emergency care now."),
    S_(
        "Fever or systemically unwell with spinal pain (possible spinal infection): "
        "same-day emergency assessment."
    ),
    S_("Major trauma with spinal pain (possible fracture): emergency care."),
    S_("Recent unexplained weight loss: physician within about 2 weeks."),
    S_(
        "Thoracic/non-mechanical spinal pain when unwell, or unremitting night pain: "
        "physician within about 2 weeks."
    ),
    S_("Possible immunosuppression with new spinal pain, no fever: urgent physician."),
    S_("Prolonged corticosteroid use with new back pain: urgent physician."),
    S_("Possible osteoporotic vertebral fracture: urgent physician assessment."),
    S_("Suspected inflammatory back pain: urgent physician (rheumatology)."),
    S_("Nerve-root pain not settling after about 6 weeks: routine physician referral."),
    S_(
        "Suspected cardiac chest pain now or within 12 hours (no ECG in a gym): call "
        "emergency services."
    ),
    S_("Suspected cardiac chest pain 12-72 hours ago: urgent same-day assessment."),
    S_("Exertional chest discomfort relieved by rest: urgent physician assessment."),
    S_("Neck pain/trauma with neurological symptoms or stroke signs: emergency care now."),
    S_("Ottawa ankle rules positive: same-day X-ray via physician/urgent care."),
    S_(
        "Possible septic joint, fracture/dislocation or neurovascular compromise: "
        "emergency care now."
    ),
    S_(
        "Major motor loss (power < 3/5): NHS 2023 grades stable loss urgent (NHS Lothian: "
        "emergency if deteriorating)."
    ),
    S_("Unilateral calf pain with swelling (possible DVT): same-day medical assessment."),
    S_(
        "History of cancer with new neurological signs or severe progressive spinal pain "
        "(possible metastatic cord compression): emergency care now."
    ),
    S_("Past history of cancer with new-onset spinal pain: urgent physician."),
    S_(
        "First-ever axial back pain outside the age band where it is usually benign: "
        "urgent physician."
    ),
)

# What fills a template's place: the rules' word fragments (history.refer_pt, SCOPE-4's
# ways back, a grade, DEC-4's body regions, the free-text notes' ``why``).
FRAGMENTS = (
    S_("refer to a physician (the route law or insurance requires here)"),
    S_("refer to a physical therapist"),
    S_("refer back to the physical therapist"),
    S_("coordinate through a physician"),
    S_("coordinate with the physical therapist"),
    S_("a physician"),
    S_("the physical therapist"),
    S_("emergency"),
    S_("urgent"),
    S_("routine"),
    S_("chest"),
    S_("jaw"),
    S_("abdomen"),
    S_("head"),
    S_("written by a clinician, who has assessed it: not graded again; flagged for staff review"),
    S_("no change to the decision on its own; flagged for staff review"),
    S_("already answered in the structured form"),
)
# A free-text mention in a summary: what the client wrote (data) and the lexicon's
# label for it (the staff catalogs have the labels: extract_lexicon_labels).
MENTION = S_("'%(phrase)s' (%(label)s)")
_MENTION = re.compile(r"'(.*?)' \(([^()]*)\)(?:; |$)")
_PLACE = re.compile(r"%\((\w+)\)s")


@lru_cache(maxsize=1)
def _compiled() -> tuple[dict[str, Any], list[tuple[re.Pattern[str], str]]]:
    exact = {t: t for t in (*TEMPLATES, *FRAGMENTS) if not _PLACE.search(t)}
    patterns = []
    for t in TEMPLATES:
        if not _PLACE.search(t):
            continue
        parts, at = [], 0
        for m in _PLACE.finditer(t):
            parts.append(re.escape(t[at : m.start()]))
            parts.append(f"(?P<{m.group(1)}>.+?)")
            at = m.end()
        parts.append(re.escape(t[at:]))
        patterns.append((re.compile("".join(parts) + r"\Z", re.S), t))
    return exact, patterns


def summary_text(summary: Any) -> Any:
    """A stored summary as a staff text (``journey.Text``) to say in the page's
    language; the stored words as they are when no rule's template matches them."""
    from .journey import Text

    text = "" if summary is None else str(summary).strip()
    exact, patterns = _compiled()
    if text in exact:
        return Text(exact[text])
    for pattern, msgid in patterns:
        m = pattern.match(text)
        if m is None:
            continue
        values = {name: _value(name, value) for name, value in m.groupdict().items()}
        return Text(msgid, **values)
    return text


def _value(name: str, value: str) -> Any:
    from .journey import Text, Words

    if name == "mentions":
        found = _MENTION.findall(value)
        if found and "; ".join(f"'{p}' ({label})" for p, label in found) == value:
            return Words(
                *(Text(MENTION, phrase=p, label=Text(label)) for p, label in found), sep="; "
            )
        return value
    if name in ("phrase", "phrases", "answers", "rule", "nprs"):
        return value  # data: what a client wrote, codes, a number
    return summary_text(value)
