"""DEC-2 matcher mechanics that the phrase corpus does not pin down on its own:
spelling repair, chest pain whose time is unclear, benign gym notes, and the DEC-2 /
DEC-3 agreement on a PAR-Q+ general answer. The phrases here were written for these
tests (not taken from tests/clinical/phrases/)."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from importlib import resources
from pathlib import Path

import phrase_yaml
import pytest
import yaml
from clinical_builders import consistent_parq, raw_intake, run, with_parq

from inscope_clinical import IntakeSchema, free_text
from inscope_clinical.config import DEFAULT_CONFIG
from inscope_clinical.reasons import Collector

AS_OF = dt.date(2026, 12, 1)


def flags(text: str) -> set[str]:
    found, _ = free_text.read(text, as_of=AS_OF)
    return {m.flag for m in found}


# ------------------------------------------------------------------ spelling repair

@pytest.mark.parametrize("slip, word", [
    ("palpitaions", "palpitations"),   # two letters swapped
    ("numbnes", "numbness"),           # a letter left out
    ("brething", "breathing"),         # a letter left out
    ("chset", "chest"),                # short word: swap only
    ("dizzyness", None),               # already a lexicon word: left alone
    ("sharing", None),                 # consonant for consonant: another real word
    ("breach", None),
    ("fewer", None),
    ("staff", None),                   # kept as it is
    ("ladder", None),                  # a lexicon word is never changed ("bladder")
])
def test_speller_repairs_one_typing_slip_only(slip: str, word: str | None) -> None:
    assert free_text.lexicon().spelling.correct(slip) == word


def test_a_misspelt_symptom_fires_and_the_client_s_own_words_are_quoted() -> None:
    found, _ = free_text.read("heart flutering and palpitaions at rest", as_of=AS_OF)
    hit = next(m for m in found if m.flag == "acsm.signs_symptoms.palpitations_or_tachycardia")
    assert "palpitaions" in hit.words or "flutering" in hit.words
    text = "heart flutering and palpitaions at rest"
    assert text[hit.start:hit.end] == hit.words


# ------------------------------------------------------------------ chest pain timing

@pytest.mark.parametrize("text, flag", [
    ("pressure on my chest like a weight", "red_flags.chest_pain_now"),      # time unclear
    ("chest feels heavy and I'm sweaty", "red_flags.chest_pain_now"),
    ("had chest pain this morning on the drive in", "red_flags.chest_pain_last_12h"),
    ("chest pain 2/7 ago", "red_flags.chest_pain_12_to_72h"),
    ("squeezing behind my breastbone when I carry the shopping",
     "red_flags.exertional_chest_discomfort_relieved_by_rest"),
])
def test_chest_pain_is_timed_and_unclear_time_reads_as_now(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text", [
    "had chest pain this morning on the drive in",
    "squeezing behind my breastbone when I carry the shopping",
    "chest pain on and off for months",
])
def test_a_timed_chest_pain_is_not_also_now(text: str) -> None:
    assert "red_flags.chest_pain_now" not in flags(text)


# ------------------------------------------------------------------ lay wording

@pytest.mark.parametrize("text, flag", [
    ("I can't tell when my bladder is full any more", "red_flags.bladder_dysfunction"),
    ("numb around my back passage since Tuesday", "red_flags.saddle_numbness"),
    ("both legs have gone tingly", "red_flags.bilateral_leg_neuro_symptoms"),
    ("my legs are getting weaker and keep giving way",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("walking like I'm drunk and bumping into walls", "red_flags.gait_disturbance"),
    ("my foot keeps catching on the kerb", "red_flags.acute_foot_drop"),
    ("fell off a ladder yesterday, back really hurts",
     "red_flags.major_trauma_with_spinal_pain"),
    ("my left calf is swollen and sore since the flight",
     "red_flags.unilateral_calf_pain_swelling"),
    ("face drooped on one side and speech was slurred", "red_flags.sudden_stroke_signs"),
    ("jaw tightness walking in the cold", "acsm.signs_symptoms.ischaemic_discomfort"),
    ("I get breathless just getting dressed",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("I sleep on four pillows or I can't breathe", "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("calves cramp when I walk 200 yards, goes when I stop",
     "acsm.signs_symptoms.intermittent_claudication"),
])
def test_lay_wording_in_any_order_fires(text: str, flag: str) -> None:
    assert flag in flags(text)


# ------------------------------------------------------------------ benign gym notes

@pytest.mark.parametrize("text", [
    "incline dumbbell press for upper chest, 3x10",
    "upper back tight during rows, stretched after",
    "arms burning on the last set of curls",
    "heart rate 172 on the assault bike, recovered quickly",
    "spinning class twice a week",
    "came to the session straight from work",
    "off balance on single leg RDL, improving",
    "dead bugs with legs extended, core held well",
    "legs heavy after leg day, more rest needed",
    "weak glutes, add bridges",
    "feels a bit tired lately with work stress",
    "prescription glasses broke, squinting at the board",
    "breathing drills lying down, diaphragm work",
    "5 m shuttle runs then lower back stretches",
    "range of motion limited in the hip, can't get full depth",
    "right side weaker on single-leg squat",
    "walking lunges, legs burning",
    "toes hanging off the step for calf raises",
    "right leg warm up done, left side next",
    "numb bum after a long bike ride, fine once off the saddle",
    "loves hill sprints, legs like jelly at the top",
    "staff member covered the session, sharing the squat rack",
    "anxious about starting at the gym, first session went well",
    "drinks lucozade during long runs",
    "eats jelly babies on the long run",
    "likes bootcamp classes on Saturdays",
    "training for a tough mudder in spring",
    "sore knees after hiking at the weekend",
    "stood up fast after burpees, head rush, saw stars for a second",
    "lost 5 kg on purpose since the summer, GP pleased",
    "chest and back day, felt strong",
    "bad chest day, couldn't hit the weights",
    "wants to build cardio fitness, heart rate monitor bought",
    "his dad had a heart attack at 60, wants to stay fit",
    "works as a nurse on the cardiology ward",
    "wife is pregnant, wants to get fit before the baby",
    "took his mum to a hospital appointment, missed the session",
    "cold hands in the gym, it's freezing in here",
    "getting over a cold last month, fine now",
    "asked about HIIT for fat loss",
    "knees cave on squats, cue knees out",
    "hip hinge needs work, rounding at the bottom",
    "pins and needles in foot from sitting cross-legged, went quickly",
])
def test_benign_gym_notes_fire_nothing(text: str) -> None:
    assert flags(text) == set()


# A benign context an entry leaves out (a cold, nerves, a drill, sitting on a hard seat
# that went off) must not hide the flag when the sentence says more than that.
@pytest.mark.parametrize("text, flag", [
    ("crushing chest pain with coughing right now", "red_flags.chest_pain_now"),
    ("numb bum after sitting in the car, still numb", "red_flags.saddle_numbness"),
    ("new foot drop noticed in the lunge", "red_flags.acute_foot_drop"),
    ("heart racing, not nerves", "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("cannot lift my right foot properly since yesterday, it slaps",
     "red_flags.acute_foot_drop"),
    ("my left arm goes heavy walking uphill and eases when I stop",
     "red_flags.exertional_chest_discomfort_relieved_by_rest"),
])
def test_benign_context_exclusions_stay_narrow(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text", [
    "heart racing before my exam, nerves",
    "toes catch the floor in the lunge drill, needs mobility",
    "arms ache after pull ups, goes when I stop",
    "slurred speech after too much wine at the wedding",
])
def test_benign_contexts_fire_nothing(text: str) -> None:
    assert not flags(text) - {"rf4.musculoskeletal_pain"}


# ------------------------------------------------------------------ an old foot drop

@pytest.mark.parametrize("text", [
    "Foot drop from an old injury, getting better with the splint, but worse since Monday",
    "Worse since Monday: foot drop from an old injury that had been getting better",
    "foot drop from an old injury, dragging it more since yesterday",
    "my foot drop from the old injury came back this week",
])
def test_an_old_foot_drop_that_is_worse_or_back_is_acute(text: str) -> None:
    """The old-injury context of an acute foot drop (RF-2, emergency) is read over the
    whole sentence: a deterioration, a recent date or a return anywhere in it, before
    or after, keeps the flag (an `unless` without that look-ahead hid "worse since
    Monday" in the next clause)."""
    assert "red_flags.acute_foot_drop" in flags(text)
    assert run(raw_intake(notes=text))["urgency"] == "emergency"


def test_a_foot_drop_from_an_old_injury_getting_better_is_not_an_emergency() -> None:
    """Not acute, not deteriorating: no acute foot drop (it was referred as an emergency);
    the old injury is still a bone/joint problem for PAR-Q+ G6."""
    text = "Foot drop from an old injury, getting better with the splint"
    assert flags(text) == {"parq.general.g6"}
    assert run(raw_intake(notes=text))["urgency"] != "emergency"


# ------------------------------------------------------------------ DEC-2 = DEC-3

def parq8_hold(result: dict) -> bool:
    """The PAR-Q+ holds the client for its follow-ups (PARQ-8), directly or through
    free text."""
    for r in result["reasons"]:
        maps_to = r["facts"].get("maps_to") if r["rule"] == "SYS-7" else r["rule"]
        if maps_to == "PARQ-8" and r["program_state"] == "hold_pending_missing_data":
            return True
    return False


@pytest.mark.parametrize("general, structured, words, outcome", [
    ("g2", {"red_flags": {"chest_pain_12_to_72h": True}}, "chest pain yesterday", "refer"),
    ("g3", {"acsm.signs_symptoms.dizziness_or_syncope": True}, "I fainted twice this year",
     "clearance"),
    ("g6", {"pain": [{"region": "right knee", "side": "none", "nprs_rest": 0,
                      "nprs_activity": 3, "night_pain": False}]},
     "dodgy knee that flares up", None),
    ("g5", None, "I take tablets for my cholesterol", "in_scope"),
])
def test_a_general_yes_taken_by_the_engine_is_the_same_from_answers_or_words(
        general: str, structured: dict | None, words: str, outcome: str | None) -> None:
    """DEC-2 / DEC-3: a PAR-Q+ general answer the engine takes as YES - because another
    structured answer contradicts its NO, or because the client's words describe it -
    asks staff for the follow-up questions (action:complete_parq_followups,
    review:contradiction) and does not put the client on hold for them (PARQ-8) on its
    own: the contradicting answer or the words act through their own rules, so an
    urgent finding is never shown as merely "on hold". (A YES the client ticked
    themselves goes through PARQ-8 as usual.)"""
    ticked = run(with_parq(general={general: True}))
    assert parq8_hold(ticked)
    results = [run(raw_intake(notes=words))]
    if structured is not None:
        contradicted = with_parq()
        for key, value in structured.items():
            if key.startswith("acsm."):
                contradicted["acsm"]["signs_symptoms"][key.split(".")[-1]] = value
            else:
                contradicted[key] = value
        results.append(run(contradicted))
        assert f"parq.general.{general}" in {
            c["answer"] for c in results[-1]["contradictions"]}
    for result in results:
        assert not parq8_hold(result), result["reasons"]
        assert "action:complete_parq_followups" in result["flags"]
        assert "review:contradiction" in result["flags"]
        assert outcome is None or result["outcome"] == outcome
    if len(results) == 2 and outcome is not None:  # the same decision either way
        assert results[0]["program_state"] == results[1]["program_state"]


# ------------------------------------------------------------------ negation and teaching

@pytest.mark.parametrize("text", [
    "denies saddle numbness, bladder and bowels normal",
    "no tingling in either leg",
    "if your legs go weak or numb call 999",
    "no pins and needles in both feet",
    "bladder control normal, no leaking",
    "no weakness in arms or legs",
    "heart flutters? never",
    "no calf swelling after the flight",
    "stroke signs explained: face drooping, arm weakness, speech problems",
    "symptoms of cauda equina were explained, numb saddle or bladder change means A&E",
    "safety netting advice given re chest pain",
    # A decimal is not a full stop: the answer after the question still applies.
    "pt c/o LBP and temperature 38.5? no",
    # A safety-net instruction: "any X - go to A&E", and a reply after a dash.
    "any worsening weakness - go to A&E",
    "any numbness in the saddle area: call 999",
    "Any foot drop = attend ED",
    "night pain - nope",
])
def test_negated_conditional_or_taught_symptoms_fire_nothing(text: str) -> None:
    assert flags(text) == set()


@pytest.mark.parametrize("text, flag", [
    ("this is not my usual heartburn, chest pain for an hour now", "red_flags.chest_pain_now"),
    ("it's not reflux, crushing chest pain right now", "red_flags.chest_pain_now"),
])
def test_not_saying_what_a_thing_is_does_not_deny_what_follows(text: str, flag: str) -> None:
    """"it's not my usual heartburn, ...": the "not" says what the pain is not; the
    comma after the thing ends it, unlike a list ("no numbness, tingling or weakness")."""
    assert flag in flags(text)


# An intake's notes often open with what the client does not have or do ("never smoked,
# no meds, ...") before the complaint: that denial must not carry over to it.
UNRELATED_DENIALS = ("never smoked", "not a runner", "no injury", "not been drinking",
                     "no history of heart trouble", "no energy", "not eating much",
                     "not had this before", "no meds", "not after exercise", "no diabetes",
                     "denies smoking", "not training at the moment", "no previous problems",
                     "no kids", "no fall or knock")
COMPLAINTS = (
    ("chest pain for an hour now", "red_flags.chest_pain_now"),
    ("crushing chest pain right now", "red_flags.chest_pain_now"),
    ("can't feel my bum or privates since this morning", "red_flags.saddle_numbness"),
    ("face drooping on one side since 10 mins ago", "red_flags.sudden_stroke_signs"),
    ("right calf hot swollen and painful", "red_flags.unilateral_calf_pain_swelling"),
    ("tight chest walking uphill that goes when I stop",
     "acsm.signs_symptoms.ischaemic_discomfort"),
    ("peeing myself since the back went", "red_flags.bladder_dysfunction"),
    ("both legs getting weaker every day", "red_flags.bilateral_leg_weakness_progressive"),
)


@pytest.mark.parametrize("joint", [", ", " and ", " so ", " / "])
@pytest.mark.parametrize("denial", UNRELATED_DENIALS)
def test_a_denial_of_something_else_hides_no_complaint_after_it(denial: str,
                                                                 joint: str) -> None:
    missed = [(words, flag) for words, flag in COMPLAINTS
              if flag not in flags(f"{denial}{joint}{words}")]
    assert not missed


# Clauses about something else, with their own "if", past time or resolution: those
# belong to them, not to a complaint told in the present beside them. ("If X and Y"
# goes on with the condition: an "if" clause is tried before a comma or ";" only.)
PAST_CLAUSES = ("broke my wrist in 2015 and it healed fine", "knee op years ago, all healed",
                "had covid in 2021, fully recovered", "hamstring tear last year, back to normal",
                "old ankle sprain resolved", "cleared by the physio for my shoulder in May")
IF_CLAUSES = ("if anything I'm fitter than last year", "in case you need it my GP is Dr Shah",
              "signs of progress already", "I'd like to check for any imbalances",
              "what happens if I miss a session")
# The desk's or a trainer's note about something else, with words that read as teaching.
DESK_CLAUSES = ("asked whether the sauna is open", "for my coursework I'm tracking my steps",
                "FD: told member about the new timetable", "trainer asked about goals",
                "reception: explained to the client that classes are full")
OTHER_CLAUSES = [(other, joint) for other in PAST_CLAUSES for joint in (", ", " and ", "; ")] \
    + [(other, joint) for other in IF_CLAUSES + DESK_CLAUSES for joint in (", ", "; ")]


# Complaints told with no time or verb of the present.
BARE_COMPLAINTS = (
    ("calf swollen, red and warm on one side", "red_flags.unilateral_calf_pain_swelling"),
    ("numb between my legs", "red_flags.saddle_numbness"),
    ("leaking urine with my back pain", "red_flags.bladder_dysfunction"),
    ("bad pains in my chest going into my left arm", "red_flags.chest_pain_now"),
    ("fever and a hot swollen knee", "red_flags.hot_swollen_joint_with_fever"),
)


@pytest.mark.parametrize("other", PAST_CLAUSES)
def test_another_topic_s_past_leaves_a_complaint_told_bare(other: str) -> None:
    missed = [(words, flag) for words, flag in BARE_COMPLAINTS
              if flag not in flags(f"{other}, {words}") or flag not in flags(f"{words}, {other}")]
    assert not missed


@pytest.mark.parametrize("note", ["trainer asked about goals", "told member about the timetable"])
def test_a_note_about_something_else_after_a_bare_complaint_leaves_it(note: str) -> None:
    """The object of "asked about" or "told ... about" follows it."""
    missed = [(words, flag) for words, flag in BARE_COMPLAINTS
              if flag not in flags(f"{words}, {note}.")]
    assert not missed


@pytest.mark.parametrize("opening", ["never smoked", "no meds", "not a runner",
                                     "denies smoking"])
def test_a_habit_denied_before_a_bare_complaint_leaves_it(opening: str) -> None:
    """A denial of a habit or a medicine is not a list of symptoms."""
    missed = [(words, flag) for words, flag in BARE_COMPLAINTS
              if flag not in flags(f"{opening}, {words}")]
    assert not missed


@pytest.mark.parametrize("opening", ["FD: told member about the new timetable",
                                     "trainer asked about goals"])
def test_a_note_about_something_else_before_a_complaint_leaves_it(opening: str) -> None:
    """Teaching is about its own clause, and a clause that says something of its own is
    not an item of it ("a hot swollen knee" alone could be one: not tried)."""
    assert "red_flags.unilateral_calf_pain_swelling" in flags(
        f"{opening}, calf swollen, red and warm on one side")


@pytest.mark.parametrize("text, flag", [
    ("Trainer note: client warned that any dizziness, double vision or trouble swallowing "
     "with neck pain means stop and call 999.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("FD: reminded long-haul travellers that a swollen, painful, red calf needs same-day "
     "medical advice.", "red_flags.unilateral_calf_pain_swelling"),
    ("no chest pain, dizziness or palpitations", "acsm.signs_symptoms.dizziness_or_syncope"),
])
def test_teaching_and_denials_still_reach_their_lists(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("pressure in my chest as I'm writing this, knee op years ago, all healed.",
     "red_flags.chest_pain_now"),
    ("no power in my left arm, I have to lift it with the other hand, had covid in 2021, "
     "fully recovered.", "red_flags.major_motor_loss"),
])
def test_a_later_topic_s_past_does_not_date_the_complaint(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("new LBP 10/7", "rf4.musculoskeletal_pain"),  # low back pain, as "back pain" reads
    ("Osteopath: constant LBP unchanged by any position or movement for weeks; patient "
     "grey and clammy, clearly unwell.", "red_flags.non_mechanical_or_thoracic_spinal_pain_unwell"),
    ("A van went into the back of my car at the lights on Tuesday. My neck and the top of "
     "my back have been screaming since.", "red_flags.major_trauma_with_spinal_pain"),
    ("Dizziness or syncope reported since Monday, not linked to over-breathing.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
])
def test_shorthand_and_lay_words_of_the_partly_tuned_rounds(text: str, flag: str) -> None:
    assert flag in flags(text)


def test_chest_pain_told_as_long_standing_is_not_chest_pain_now() -> None:
    assert "red_flags.chest_pain_now" not in flags("chest pain on and off for years")


def test_teaching_that_reaches_into_the_words_still_applies() -> None:
    assert "red_flags.neurovascular_compromise_after_injury" not in flags(
        "After any injury, tell someone at once if the hand or foot below it goes cold, "
        "pale or numb.")


def test_a_later_clause_about_the_same_pain_still_resolves_it() -> None:
    assert "rf4.musculoskeletal_pain" not in flags(
        "Vertebral fracture in 2018, treated, and the pain settled within months")


@pytest.mark.parametrize("other, joint", OTHER_CLAUSES)
def test_another_clause_s_if_past_or_resolution_leaves_a_present_complaint(other: str,
                                                                          joint: str) -> None:
    missed = [(words, flag) for words, flag in COMPLAINTS
              if flag not in flags(f"{other}{joint}{words}")
              or flag not in flags(f"{words}{joint}{other}")]
    assert not missed


@pytest.mark.parametrize("text, flag", [
    ("If your face droops, an arm goes weak or your speech slurs, call 999 at once.",
     "red_flags.sudden_stroke_signs"),
    ("chest pain last year, resolved", "red_flags.chest_pain_now"),
    ("In 2015 I had chest pain for a week", "red_flags.chest_pain_now"),
    ("dizzy spells last month, all gone now", "acsm.signs_symptoms.dizziness_or_syncope"),
    ("if you fall from a height and your back hurts get checked",
     "red_flags.major_trauma_with_spinal_pain"),
    ("For clients over 60, ask whether this is their first ever episode of back pain.",
     "red_flags.first_episode_axial_back_pain"),
    ("Safety briefing given: if chest, neck, jaw or arm discomfort ever comes on with "
     "exercise, stop and tell the trainer.", "acsm.signs_symptoms.ischaemic_discomfort"),
])
def test_a_clause_s_own_if_past_or_resolution_still_applies(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("joint", [", ", " - ", " and ", " but "])
@pytest.mark.parametrize("denial", UNRELATED_DENIALS)
def test_a_denial_of_something_else_after_a_complaint_leaves_it(denial: str,
                                                                joint: str) -> None:
    """"crushing chest pain right now - no history of heart trouble": not the dash's
    reply to the complaint ("night pain - nope")."""
    missed = [(words, flag) for words, flag in COMPLAINTS
              if flag not in flags(f"{words}{joint}{denial}")]
    assert not missed


@pytest.mark.parametrize("text, flag", [
    ("no numbness, tingling or weakness in either leg",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("denies chest pain, pins and needles or weakness since the op",
     "red_flags.major_motor_loss"),
    ("never smoked, no chest pain or tightness", "red_flags.chest_pain_now"),
    ("no numbness and tingling in both legs", "red_flags.bilateral_leg_neuro_symptoms"),
    ("no chest pain / tightness on the bike",
     "red_flags.exertional_chest_discomfort_relieved_by_rest"),
])
def test_a_list_of_denials_stays_denied(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("it's not painful, numb or weak", "red_flags.major_motor_loss"),
    ("the ankle is not swollen, tender or bruised", "red_flags.ankle_or_midfoot_bone_tenderness"),
])
def test_a_list_after_is_not_stays_denied(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("any chest pain? yes, today, told to go to A&E", "red_flags.chest_pain_last_12h"),
    ("any numbness in the saddle area, yes - sent to A&E", "red_flags.saddle_numbness"),
    ("any numbness in the saddle area? yes - go to A&E now", "red_flags.saddle_numbness"),
    ("my arm is getting weaker, should I go to A&E?", "red_flags.progressive_motor_deficit"),
])
def test_an_answer_or_a_question_about_where_to_go_still_fires(text: str, flag: str) -> None:
    """Only "any X - go to A&E" reads as an instruction: an answer ("yes", "sent") or
    the client's own question keeps the symptom current (DEC-2: unclear fires)."""
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # "can not" is "cannot" (an inability, the symptom), not a negation cue.
    ("very weak in my left arm, can not raise it to comb my hair", "red_flags.major_motor_loss"),
    # A morning, then "fine by lunchtime": a daily pattern, not a resolution.
    ("can't bend to put my socks on first thing, back too stiff, fine by lunchtime",
     "red_flags.inflammatory_back_pain_features"),
])
def test_can_not_and_a_daily_morning_pattern_still_fire(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("woke with a sore neck from a bad pillow, fine by lunch", "red_flags.unremitting_night_pain"),
    ("stiff back first thing after the long drive, fine by 2 days later",
     "red_flags.inflammatory_back_pain_features"),
    ("not able to lift my arm? not at all, power fine", "red_flags.major_motor_loss"),
])
def test_a_one_off_fine_by_lunch_still_resolves(text: str, flag: str) -> None:
    assert flag not in flags(text)


def test_symptoms_a_clinician_lists_as_discussed_still_fire() -> None:
    """Only teaching ("signs explained", "red flags discussed") sets words aside: the
    client's own symptoms, discussed, are still current (DEC-2: unclear fires)."""
    assert "acsm.signs_symptoms.ischaemic_discomfort" in flags(
        "symptoms discussed: chest pain when walking uphill")


# ------------------------------------------------------------------ the literal index

def test_the_literal_index_never_hides_a_mention(monkeypatch: pytest.MonkeyPatch) -> None:
    """The index (required words, digits, '#', '?') only skips entries that cannot
    match: reading every entry and pattern for every sentence finds the same mentions, over a
    sixth of the third batch of tuning phrases and a few number-only terms."""
    texts = ["temp 38.5 and back pain", "BP 170/100 today", "? fracture L wrist",
             "# R wrist after FOOSH", "fever 39 c, sore spine", "power 2/5 in the left leg"]
    for path in sorted((Path(__file__).parent / "phrases" / "tuning_extra").glob("*.yaml")):
        doc = phrase_yaml.load(path)
        texts += (doc["positives"] + doc["negatives"])[::6]  # a sixth: keeps it fast
    indexed = [free_text.read(t, as_of=AS_OF)[0] for t in texts]
    every = free_text.lexicon().entries
    monkeypatch.setattr(free_text, "_candidates",
                        lambda lex, s: ((1 << len(every)) - 1, -1))
    assert [free_text.read(t, as_of=AS_OF)[0] for t in texts] == indexed


# ------------------------------------------------------------------ PARQ-4: gated sub-questions

def _sys7(result: dict, key: str) -> list:
    return [x for r in result["reasons"] if r["rule"] == "SYS-7" for x in r["facts"].get(key) or []]


@pytest.mark.parametrize("notes", [
    "planning a half marathon in the spring",
    "signed up for an ironman, wants HIIT to get ready",
])
def test_a_plan_for_vigorous_exercise_is_parq_5e_only_within_the_metabolic_section(
        notes: str) -> None:
    """PARQ-4: 5e ("planning unusually high intensity exercise soon") is a sub-question
    of section 5 (metabolic condition), asked only when that gate is YES. A plan is
    what 5e asks about, so it counts - but for a client with no metabolic condition
    it is not a follow-up YES: no physician clearance, no review flag; the words are
    listed as set aside (section_gate_no). With the gate YES in the form, or a metabolic
    condition named in the words (another sentence will do), the same plan is 5e YES
    (PARQ-6: physician, routine)."""
    plain = run(raw_intake(notes=notes))
    assert (plain["outcome"], plain["urgency"]) == ("in_scope", "none")
    assert "review:free_text" not in plain["flags"]
    assert {(m["flag"], m["why"]) for m in _sys7(plain, "negated_mentions")} == {
        ("parq.followups.s5_metabolic.e", "section_gate_no")}

    gate = run(consistent_parq(raw_intake(notes=notes), ["known_metabolic_disease"]))
    said = run(raw_intake(notes="Type 1 diabetic. " + notes.capitalize() + "."))
    for result in (gate, said):
        assert (result["outcome"], result["urgency"]) == ("clearance", "routine")
        assert "parq.followups.s5_metabolic.e" in _sys7(result, "flags")
        assert "review:free_text" in result["flags"]


EVERY_SAMPLE = 4000  # of about 20,300 distinct phrases of the tuning part
EVERY_SEED = 20261205


def _tuning_texts() -> list[str]:
    texts: list[str] = []
    phrases = Path(__file__).parent / "phrases"
    tuned = yaml.safe_load((phrases / "rounds.yaml").read_text(encoding="utf-8"))["tuned"]
    for part in ("tuning", *tuned):  # the tuning part (never holdout/ or a blind round)
        for path in sorted((phrases / part).glob("*.yaml")):
            doc = phrase_yaml.load(path)
            texts += doc["positives"] + doc["negatives"]
    assert len(texts) > 4000
    return texts


def test_every_required_literal_agrees_with_the_rarest_on_every_tuning_phrase(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13: a pattern is run only when the sentence holds one of each of its
    required literal sets (every word a term needs, not only its rarest). On every tuning
    phrase (all tuning parts, never holdout/) the mentions are those of reading every
    entry and pattern for every sentence, and mentions and set-aside matches both are
    those of the index as it was (each pattern's rarest set alone, every entry one of
    whose ways it satisfies).

    Reading every entry and pattern costs about four times the index's reading, so that
    comparison runs on a seeded sample of EVERY_SAMPLE phrases (the same ones each run;
    the comparison with the index as it was runs on all of them)."""
    texts = list(dict.fromkeys(_tuning_texts()))  # a phrase in two parts is read once
    fast = [free_text.read(t, as_of=AS_OF) for t in texts]
    lex = free_text.lexicon()
    monkeypatch.setattr(free_text, "lexicon", lambda: lex._replace(masks=lex.rarest))
    assert [free_text.read(t, as_of=AS_OF) for t in texts] == fast
    every = len(lex.entries)
    monkeypatch.setattr(free_text, "_candidates", lambda lex, s: ((1 << every) - 1, -1))
    sample = sorted(random.Random(EVERY_SEED).sample(range(len(texts)), EVERY_SAMPLE))
    assert [free_text.read(texts[i], as_of=AS_OF)[0] for i in sample] == [
        fast[i][0] for i in sample]


def test_no_word_list_names_the_same_term_twice() -> None:
    """A term written twice in one list matches nothing more and is compiled twice (70
    such copies had crept in while tuning)."""
    raw = json.loads(resources.files("inscope_clinical").joinpath(free_text.LEXICON_FILE)
                     .read_text(encoding="utf-8"))
    copies = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{node.get('flag', where)}.{key}")
        elif isinstance(node, list):
            if node and all(isinstance(item, str) for item in node):
                copies.extend(f"{where}: {t}" for t in set(node) if node.count(t) > 1)
            for item in node:
                walk(item, where)

    walk(raw, "lexicon")
    assert copies == []


def test_labels_read_without_compiling_are_the_lexicons_labels() -> None:
    # The staff review names flags through labels(), so the referral web never
    # compiles the lexicon (seconds) just to print a label.
    from inscope_clinical.free_text import labels, lexicon

    assert labels() == lexicon().labels


# ------------------------------------------------------------------ who wrote the notes

@pytest.mark.parametrize(("written_by", "urgency"), [
    (None, "none"), ("client", "none"), ("staff", "none"),
    ("relative_or_carer", "emergency")])
def test_a_relative_named_bare_is_the_client_when_a_relative_wrote_the_notes(
        written_by: str | None, urgency: str) -> None:
    """DEC-2: "Mum has ..." is someone else's history, unless the intake says a relative
    or carer wrote its words for the client."""
    raw = raw_intake(notes="Mum has had crushing chest pain since this morning.")
    if written_by:
        raw["notes_written_by"] = written_by
    assert run(raw)["urgency"] == urgency


def test_who_wrote_the_intake_does_not_change_the_trainers_notes() -> None:
    """The assessment's notes are the trainer's own words whoever wrote the intake: a
    mother the trainer names is still someone else."""
    intake = IntakeSchema().load({**raw_intake(), "notes_written_by": "relative_or_carer"})
    out = Collector()
    free_text.scan(intake, {"notes": "Mum has had crushing chest pain today."},
                   DEFAULT_CONFIG, out, age_years=40, as_of=dt.date(2026, 12, 1))
    found = [m for r in out.reasons for m in r["facts"].get("mentions") or []]
    aside = [m for r in out.reasons for m in r["facts"].get("negated_mentions") or []]
    assert not any(m["field"].startswith("assessment.") for m in found)
    assert any(m["field"] == "assessment.notes" and m["why"] == "someone_else"
               for m in aside)


def test_a_space_inside_a_character_class_is_that_space() -> None:
    """A term's space stands for any run of spaces, hyphens or slashes, except inside a
    character class: "pain[- ]free" once compiled to a class that matched neither
    "pain-free" nor "pain free", so 29 terms written that way never matched."""
    pattern = re.compile(free_text._term("pain[- ]free", {}))
    assert pattern.search("pain-free") and pattern.search("pain free")
    assert flags("I get the odd calf cramp in bed at night, but walking is completely "
                 "pain-free however far I go.") == set()


# ------------------------------------------------------------------ round 31's lessons

@pytest.mark.parametrize("text, flag", [
    ("Q: any numbness around the back passage? Client says no.", "red_flags.saddle_numbness"),
    ("Any fall from a ladder with back pain since? Member answered no.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("chest pain at rest? pt reports no", "red_flags.chest_pain_now"),
])
def test_a_question_answered_no_by_someone_reported_stays_denied(text: str, flag: str) -> None:
    """"? Client says no" is the reply to the question, as "? no" is."""
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Any chest pain? Client says yes, right now.", "red_flags.chest_pain_now"),
    ("Numb saddle area? Client says it started yesterday.", "red_flags.saddle_numbness"),
])
def test_a_reported_answer_that_is_not_no_still_fires(text: str, flag: str) -> None:
    assert flag in flags(text)


def test_a_relative_marked_not_me_keeps_their_own_symptom() -> None:
    """"Dad (not me) has ... and shuffles": the bracket no longer cuts "Dad" off."""
    text = "Mum (not me) has MS and drags her foot when she walks, I want to get strong for her."
    assert "red_flags.gait_disturbance" not in flags(text)
    assert "red_flags.gait_disturbance" in flags("I drag my foot when I walk, worse this month.")


@pytest.mark.parametrize("text, fires", [
    # a benign context before "but" is over at the "but"
    ("I meant to cut down on food but before I started I'd lost 7kg since summer, "
     "no idea why", True),
    # one after "but" still explains the complaint's own item
    ("Lost 4kg since spring but that's from dieting on purpose", False),
])
def test_a_but_ends_a_benign_context_told_before_it(text: str, fires: bool) -> None:
    assert ("red_flags.unexplained_weight_loss" in flags(text)) is fires


@pytest.mark.parametrize("text, fires", [
    ("My left hand went weak three weeks ago. Since then it has got worse every week.", True),
    ("Leg weak after my knee op. It gets worse each week, now I drag it.", True),
    # in one sentence the same words are a poster's list, not a history
    ("Poster: if you notice arm weakness or worse speech, call 999.", False),
    ("Leg day was brutal, legs weak, worse DOMS than ever.", False),
])
def test_a_weak_limb_and_its_worsening_in_the_next_sentence(text: str, fires: bool) -> None:
    """An ``across_only`` compose rule: the worsening told in its own sentence."""
    assert ("red_flags.progressive_motor_deficit" in flags(text)) is fires


@pytest.mark.parametrize("text, fires", [
    ("Left calf has ached since the flight. It's swollen too.", True),
    ("My right calf is sore and tight. It looks bigger than the other one.", True),
    # the swelling told of another part, in its own sentence, is not the calf's
    ("Feet swell by the evening. Calf aches when I walk, goes with rest.", False),
])
def test_a_painful_calf_then_it_swollen_in_the_next_sentence(text: str, fires: bool) -> None:
    assert ("red_flags.unilateral_calf_pain_swelling" in flags(text)) is fires


@pytest.mark.parametrize("text, fires", [
    ("Burning behind the breastbone after spicy food, it's reflux, Gaviscon helps.", False),
    # effort, the jaw or the arm keep it a possible cardiac pain
    ("Burning behind the breastbone after food and on the stairs, reflux I think, "
     "Gaviscon helps.", True),
    ("Burning in my chest after dinner into my left arm, took a rennie for the reflux.", True),
])
def test_meal_burning_that_an_antacid_settles_is_reflux(text: str, fires: bool) -> None:
    assert ("red_flags.chest_pain_now" in flags(text)
            or "acsm.signs_symptoms.ischaemic_discomfort" in flags(text)) is fires


@pytest.mark.parametrize("text, flag", [
    ("Slipped on the wet floor. Foot massive. Can't put any weight on it.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Fell off my bike yesterday. Both knees fine, my ankle too sore to walk on.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Desk: member went over on a step, unable to walk four steps.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Client could not walk heel to toe today, much worse than last week.",
     "red_flags.gait_disturbance"),
    ("Knee blew up overnight. Hot and throbbing. Running a temperature too.",
     "red_flags.hot_swollen_joint_with_fever"),
    ("Whacked my neck on the car boot yesterday. Been dizzy since.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("Took a hit to the shin at football. There's a lump along the bone now.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Feel like I've got the flu. My spine aches.", "red_flags.fever_or_unwell_with_spinal_pain"),
    ("I get dizzy spells when I get up too quickly, several times a week.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("feet and ankles puffy since the summer, not injured or sprained",
     "acsm.signs_symptoms.ankle_oedema"),
])
def test_round_31_findings_told_apart_or_in_shorthand(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Lost a couple of kilos with a tummy bug, back to normal eating.",
     "red_flags.unexplained_weight_loss"),
    ("Heart skipped a beat when I heard the price of protein, ha.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Sit up on two pillows to watch telly in bed, just comfier, breathing fine.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("Had the flu last winter, back pain now from deadlifts.",
     "red_flags.fever_or_unwell_with_spinal_pain"),
    ("Bit dizzy if I stand up too fast, normal head rush.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
])
def test_round_31_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


# ------------------------------------------------------------------ round 32's lessons

@pytest.mark.parametrize("text, flag", [
    # a plan to investigate is not "investigated, nothing found"
    ("Physio letter: both ankles swollen, to be investigated; no training meanwhile.",
     "acsm.signs_symptoms.ankle_oedema"),
    ("Three blackouts in the past four weeks, cause not found yet.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    # a pastime of the past after a dash is its own clause
    ("Short of breath lying on the sofa most nights - I used to swim for the county years ago.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("Desk: can't feel a BM coming since Sunday, low back agony.", "red_flags.bowel_dysfunction"),
    ("I have not been able to lift my right arm off the table at all since Friday.",
     "red_flags.major_motor_loss"),
    ("Dad, 78, says this low back ache is the first he has ever had.",
     "red_flags.first_episode_axial_back_pain"),
    ("Neck sore since the weekend and twice my legs have suddenly given way.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("Post ankle inversion inj 3/7 ago, foot cold, pedal pulse not palpable.",
     "red_flags.neurovascular_compromise_after_injury"),
    ("Ache round my middle back like a tight belt for a fortnight, felt sick and weak with it.",
     "red_flags.non_mechanical_or_thoracic_spinal_pain_unwell"),
    ("Since his back went he has not been able to keep an erection.",
     "red_flags.sexual_dysfunction"),
    ("New expressive dysphasia and right arm drift in class just now.",
     "red_flags.sudden_stroke_signs"),
    ("She came off the trampoline onto her wrist. Now a lump on her forearm, won't use it.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("On prednisolone for years. Back started hurting on Monday, never had that before.",
     "red_flags.prolonged_corticosteroids_with_new_back_pain"),
])
def test_round_32_findings(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Pulse races after a hard 800 m effort, settles down within a minute, normal for a runner.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Reception gave the usual advice that new breathlessness at rest should go to a GP.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("Consultant said ring 999 if my back pain ever comes with numbness between the legs.",
     "red_flags.saddle_numbness"),
    ("The poster says sudden leg weakness with back pain needs urgent attention.",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("Flu with a temperature in October which cleared up, my back's been fine throughout.",
     "red_flags.fever_or_unwell_with_spinal_pain"),
    ("Hot and sweaty after spin class, knee sleeve leaves a puffy line, no temperature.",
     "red_flags.hot_swollen_joint_with_fever"),
    ("Broke my ankle in 2019, toes numb for a day in the cast, all sorted once it was split.",
     "red_flags.neurovascular_compromise_after_injury"),
])
def test_round_32_advice_and_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


# ------------------------------------------------------------------ round 33's lessons

@pytest.mark.parametrize("text, flag", [
    # an episode told with its end and its month
    ("Dizzy spells with labyrinthitis in March, cleared within a fortnight... no dizziness "
     "since.", "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Woke gasping a few nights with pneumonia in October, that stopped once the antibiotics "
     "worked.", "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("Tight chest with a chest infection in September, cleared up with antibiotics, no chest "
     "pain since.", "red_flags.chest_pain_now"),
    ("Sprained my ankle last autumn, on crutches a week, been running on it without bother "
     "since.", "red_flags.ankle_injury_cannot_bear_weight"),
    ("Numb toes in the plaster after my fracture; the plaster was split and it all settled by "
     "the next day.", "red_flags.neurovascular_compromise_after_injury"),
    ("Q. Any loss of bladder control? A. No.", "red_flags.bladder_dysfunction"),
    ("My neighbour who walks with me has claudication; my legs are fine.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("Couldn't wee for a few hours after my knee op because of the anaesthetic, normal since.",
     "red_flags.bladder_dysfunction"),
    ("Pressing on the ankle bones themselves doesn't hurt after I rolled it, only the soft "
     "bit.", "red_flags.ankle_or_midfoot_bone_tenderness"),
    ("Pulse 140 between sets of sprints, sitting down after each set.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
])
def test_round_33_episodes_over_and_replies_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # a month beside a recurrence stays current
    ("Chest pain in November, cleared, but it's back since this morning.",
     "red_flags.chest_pain_now"),
    ("Calves cramp when I walk, gone after a minute's rest.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("Her ankles swell up every day, the GP hasn't sorted it yet.",
     "acsm.signs_symptoms.ankle_oedema"),
    ("He has lost a stone since summer and he isn't trying to.",
     "red_flags.unexplained_weight_loss"),
    ("Sciatica in my right leg. It's in both legs now.", "red_flags.bilateral_leg_neuro_symptoms"),
    ("Since my back went I can't feel myself going for a poo.", "red_flags.bowel_dysfunction"),
    ("Back pain in the middle of my spine. Felt properly ill with it for a week.",
     "red_flags.non_mechanical_or_thoracic_spinal_pain_unwell"),
    ("back agony!! started this week. osteoporosis on my scan last year",
     "red_flags.osteoporosis_with_new_severe_spinal_pain"),
    ("Back was fine until Monday, now sore. On steroid tablets for years.",
     "red_flags.prolonged_corticosteroids_with_new_back_pain"),
    ("Back sore since the weekend and my bits haven't worked properly since.",
     "red_flags.sexual_dysfunction"),
    ("Shovelling snow on Saturday, sudden severe pain in the middle of my back, only eases "
     "lying down.", "red_flags.sudden_central_pain_after_minor_trauma"),
    ("Dropped a 25 kg plate on my foot; can't put any weight on it.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Back pain much better within two days of ibuprofen, stiff every morning for an hour.",
     "red_flags.inflammatory_back_pain_features"),
    ("Resting HR 122 bpm before class, no caffeine today, often like that lately.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Chest pain with a cold last month, cleared, but it's back since this morning.",
     "red_flags.chest_pain_now"),
])
def test_round_33_findings(text: str, flag: str) -> None:
    assert flag in flags(text)


# ------------------------------------------------------------------ round 34's lessons

@pytest.mark.parametrize("text, flag", [
    # a form's fields: " | " and " / " before a question part them; each answer is its own
    ("Q: Any blackouts? A: yes, fainted in the kitchen in May | Q: Cause found? A: no",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Injury? yes - went over on my ankle Saturday / Able to walk 4 steps? no, on crutches",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Age: 72 / Back pain? yes - first time ever, 10 days / Previous back trouble? none",
     "red_flags.first_episode_axial_back_pain"),
    ("Meds: methotrexate for RA / New symptoms: back pain started this month / Temp: normal",
     "red_flags.immunosuppression_with_new_spinal_pain"),
    ("Weight: down 9 kg since spring / Dieting: no / Reason: unknown",
     "red_flags.unexplained_weight_loss"),
    ("Calf pain: left only / Swelling: yes / Redness: yes / Started: Tuesday",
     "red_flags.unilateral_calf_pain_swelling"),
    # a run-on note
    ("my back went lifting the sofa and since then i cant seem to start peeing properly",
     "red_flags.bladder_dysfunction"),
    ("Trainer: short of breath on the bike at level 1, recovered after five minutes seated.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("had to stop and catch my breath after walking from the car park, normal for me lately",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("the school run was always easy but lately I'm unusually breathless halfway",
     "acsm.signs_symptoms.unusual_fatigue_or_dyspnoea"),
    ("my watch says resting heart rate 125 on the sofa and i dont drink much coffee",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Both quads very weak on the sit-to-stand test; reports worsening week on week.",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("dropped a kettlebell on my foot yesterday and the top of it is swollen and purple and "
     "i cant put any weight through it at all", "red_flags.suspected_fracture_or_dislocation"),
    ("Q: Injury? A: went over on my foot on Friday. Q: Where is it tender to touch? A: the "
     "bone at the base of the little toe", "red_flags.ankle_or_midfoot_bone_tenderness"),
])
def test_round_34_forms_and_run_ons(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Able to walk 4 steps? yes, no problem", "red_flags.ankle_injury_cannot_bear_weight"),
    ("Back pain: yes / Numbness between legs: no / Bladder: normal",
     "red_flags.saddle_numbness"),
    ("Heart pounds after my third coffee / Sleep: fine",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
])
def test_round_34_answers_still_deny(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Desk - husband mentioned his own chest pain on hills; the client has no symptoms.",
     "red_flags.exertional_chest_discomfort_relieved_by_rest"),
    ("Trainer discussed that a heart murmur would need clearance; client has none.",
     "acsm.signs_symptoms.known_heart_murmur"),
    ("numb in both legs from a disc years back, operated, all gone since",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("Physio said to come back if my fingers go white or numb in the splint.",
     "red_flags.neurovascular_compromise_after_injury"),
    ("With my osteoporosis any sudden severe back pain would need an X-ray, I know.",
     "red_flags.osteoporosis_with_new_severe_spinal_pain"),
    ("dizzy only when I'm panting like mad on the rower, goes when I slow my breathing down",
     "acsm.signs_symptoms.dizziness_or_syncope"),
])
def test_round_34_other_people_advice_and_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # findings told by comparison, by what they stop the client doing, by what others saw
    ("my son says my ankles have vanished by teatime, legs like tree trunks",
     "acsm.signs_symptoms.ankle_oedema"),
    ("my shoes won't fasten by the end of the day, fine in the morning",
     "acsm.signs_symptoms.ankle_oedema"),
    ("getting up off the bed the room tilts and I have to hold the door frame",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("sat in my chair it feels like breathing through a straw",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("I have to stop halfway up the drive before I can talk again",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("two steps onto the bus and I'm puffing",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("the nurse heard a swishing sound over my heart", "acsm.signs_symptoms.known_heart_murmur"),
    ("been sleeping in the recliner as I can't catch my breath lying flat",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("my heart keeps doing a stumble and a big thump",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("fitbit says my heart rate is at 140 while I'm sitting on the sofa",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Trainer: c/o jaw tightness and ache into L arm on the bike, resolved with rest.",
     "acsm.signs_symptoms.ischaemic_discomfort"),
    ("I'm her carer - Mum gets cramp in her calf walking to the bus stop, eases if she "
     "stands still", "acsm.signs_symptoms.intermittent_claudication"),
    ("since Monday I can't pull my toes up on the right", "red_flags.acute_foot_drop"),
    ("Trainer: cannot heel-walk on the left since yesterday", "red_flags.acute_foot_drop"),
    ("went over on my ankle and I'm going up the stairs on my bum",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("since my back went I didn't even feel myself go, my trousers were wet",
     "red_flags.bladder_dysfunction"),
    ("back pain since Friday and I ran to the loo and didn't make it",
     "red_flags.bowel_dysfunction"),
    ("he's gone grey and sweaty and keeps rubbing his chest", "red_flags.chest_pain_now"),
    ("since last week I walk like I'm drunk and my neck aches", "red_flags.gait_disturbance"),
    ("keys slip out of my hand and I'm dragging both feet, worse each week",
     "red_flags.multilevel_limb_weakness"),
    ("after I fell off the ladder my foot feels like a block of ice",
     "red_flags.neurovascular_compromise_after_injury"),
    ("back bad since Sunday and I couldn't feel the saddle on my bike",
     "red_flags.saddle_numbness"),
    ("since the disc went things down there don't work", "red_flags.sexual_dysfunction"),
    ("New erectile probs and LBP this week.", "red_flags.sexual_dysfunction"),
    ("the side of my mouth dropped this morning", "red_flags.sudden_stroke_signs"),
    ("caught my thumb in the door and it's pointing sideways",
     "red_flags.suspected_fracture_or_dislocation"),
    ("my wedding ring slides straight off now and I'm not dieting",
     "red_flags.unexplained_weight_loss"),
    ("at night my back never switches off, whichever way I lie",
     "red_flags.unremitting_night_pain"),
    ("like a hot knife in my back since Tuesday. I have osteoporosis.",
     "red_flags.osteoporosis_with_new_severe_spinal_pain"),
    ("New this month, a gnawing ache in my low back. I'm on anti-rejection tablets.",
     "red_flags.immunosuppression_with_new_spinal_pain"),
    ("my knee has blown up like a grapefruit and my teeth were chattering last night",
     "red_flags.hot_swollen_joint_with_fever"),
])
def test_round_35_findings_told_without_their_names(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("shoes tight in the evening, they're half a size too small",
     "acsm.signs_symptoms.ankle_oedema"),
    ("everything goes fuzzy when I take my glasses off",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("like breathing through a straw with the snorkel on",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("I wake up gasping when the cat jumps on my chest", "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("chest feels heavy because the dog is asleep on it", "red_flags.chest_pain_now"),
    ("Never had back pain and still don't.", "red_flags.first_episode_axial_back_pain"),
    ("arm like a dead weight after the push-up challenge but it works fine, full strength",
     "red_flags.major_motor_loss"),
    ("feel like I've been hit by a bus after my first week back at the gym",
     "red_flags.major_trauma_with_spinal_pain"),
    ("shivering after the ice bath and my back is stiff from deadlifts",
     "red_flags.fever_or_unwell_with_spinal_pain"),
    ("little toe bent like a banana since birth", "red_flags.suspected_fracture_or_dislocation"),
    ("sore back; sex life normal, nothing changed down there", "red_flags.sexual_dysfunction"),
    ("jeans fall down without a belt now, I've been dieting for the wedding",
     "red_flags.unexplained_weight_loss"),
    ("arms and legs heavy after the circuit, strength normal the next day",
     "red_flags.multilevel_limb_weakness"),
    ("I'm her carer and want to get fitter; my mum has bowel incontinence.",
     "red_flags.bowel_dysfunction"),
])
def test_round_35_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 36: questions to the gym, hedges, slips
    ("Is it okay to exercise if Ive got a murmur?", "acsm.signs_symptoms.known_heart_murmur"),
    ("is it safe to train if both my feet are numb? started with my back",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("should i be worried my back pain is new since i started chemo? no temperature",
     "red_flags.immunosuppression_with_new_spinal_pain"),
    ("Should I worry that I'm out of breath after one flight of stairs?",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("Is it ok to train with chest pain? It's a heavy ache.", "red_flags.chest_pain_now"),
    ("got a tight chest atm, should i still come tonight?", "red_flags.chest_pain_now"),
    ("GP letter: suspected cardiac pain 40 hours ago, pain-free now.",
     "red_flags.chest_pain_12_to_72h"),
    ("I write for my husband, who is on chemo. He has a new ache low in his back.",
     "red_flags.immunosuppression_with_new_spinal_pain"),
    ("he can't straighten his knee or lift that leg off the bed", "red_flags.major_motor_loss"),
    ("her finger went sideways at netball and is still crooked",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Client weighs 6 kg less than at induction, diet unchanged.",
     "red_flags.unexplained_weight_loss"),
    ("my right calf is bigger than the other one and tender",
     "red_flags.unilateral_calf_pain_swelling"),
    # round 35, second pass
    ("Wt 90 -> 81 kg since spring, not dieting.", "red_flags.unexplained_weight_loss"),
    ("c/o low back pain x1/52, first ever.", "red_flags.first_episode_axial_back_pain"),
    ("bilat LL power down, 4/5 -> 3/5 in two days", "red_flags.bilateral_leg_weakness_progressive"),
    ("my neck aches and my tea keeps going down the wrong way",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("fell 4 m off a roof on Friday, LBP since", "red_flags.major_trauma_with_spinal_pain"),
    ("my left leg is getting heavier every week and I drag it",
     "red_flags.progressive_motor_deficit"),
])
def test_round_36_questions_hedges_and_readings(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Wt 74 -> 82 kg over the bulk, on purpose.", "red_flags.unexplained_weight_loss"),
    ("weight went from 80 to 79 kg", "red_flags.unexplained_weight_loss"),
    ("foot slaps on the treadmill but I can heel-walk fine", "red_flags.acute_foot_drop"),
    ("Car crash in 2012; neck and back have been fine for years.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("sore low back after deadlifts, came on slowly over the evening",
     "red_flags.sudden_central_pain_after_minor_trauma"),
    ("Could my dad join? He gets calf pain walking - I'm the member and I don't get it.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("legs heavier every week - the planned volume block, deload next week",
     "red_flags.progressive_motor_deficit"),
    ("Mr Byrne is pain-free now after chest pain two days ago", "red_flags.chest_pain_now"),
])
def test_round_36_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 37: long texts, everyday times
    ("Over the Easter weekend we noticed both his ankles were really puffed up.",
     "acsm.signs_symptoms.ankle_oedema"),
    ("Physio: breathless on level walking of 30 metres, sats 92%.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("FD: member gasping just from walking in from the car park.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("She asked whether she should mention that her jaw feels tight when she walks uphill, "
     "easing when she stops.", "acsm.signs_symptoms.ischaemic_discomfort"),
    ("went over on his ankle in the car park and can't step on it at all",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("she fell off the wall, her ankle is swollen and she hasn't been able to stand on it",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("I had a liver transplant and take tablets to dampen my immune system; new pain low in "
     "my back since Easter.", "red_flags.immunosuppression_with_new_spinal_pain"),
    ("Her car was rear-ended at the lights last week and she has had neck pain since.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("He was down seven kilos at the weigh-in and isn't trying to lose weight.",
     "red_flags.unexplained_weight_loss"),
])
def test_round_37_findings_in_long_texts(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Tip for the group: if your calves ever cramp at the same distance, tell a trainer.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("Advised the class that anyone who twists an ankle and can't take four steps needs an "
     "X-ray.", "red_flags.ankle_injury_cannot_bear_weight"),
    ("With osteoporosis, if you ever get sudden severe back pain, see your GP.",
     "red_flags.osteoporosis_with_new_severe_spinal_pain"),
    ("After any car crash, get your back checked before training.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("Reception: member came in to cancel her husband's sessions. He has a bad back and "
     "bladder problems.", "red_flags.bladder_dysfunction"),
    ("Member asked about classes for her father, who has a dropped foot since his stroke.",
     "red_flags.acute_foot_drop"),
    ("Reception: member says her partner is in hospital with a spinal infection, fever and "
     "back pain.", "red_flags.fever_or_unwell_with_spinal_pain"),
    ("Writing for my son Sam: his friend hurt his neck and felt dizzy; Sam was fine.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("Down 5 kg since January on Slimming World, really pleased.",
     "red_flags.unexplained_weight_loss"),
    ("My arms and legs felt weak after the circuit but were normal again after a night's "
     "sleep.", "red_flags.multilevel_limb_weakness"),
])
def test_round_37_other_people_and_advice_in_long_texts(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # the "he" is still the client: a relative writing without a byline the reader knows,
    # or the member's own "he" carried on
    ("My husband asked me to write this. He gets a squeezing feeling in his chest on hills.",
     "acsm.signs_symptoms.ischaemic_discomfort"),
    ("Reception: member froze his membership. He is off to his son's wedding. He said he "
     "can't sleep lying flat as he gets breathless.", "acsm.signs_symptoms.orthopnoea_or_pnd"),
])
def test_round_37_the_client_s_he_stays_the_client(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 38: a self-correction keeps what follows it
    ("my right knee no sorry both my ankles puff up by teatime these days",
     "acsm.signs_symptoms.ankle_oedema"),
    ("its my elbow no actually its my left arm that goes heavy when i walk up the hill",
     "acsm.signs_symptoms.ischaemic_discomfort"),
    ("i rest fine well no not really i get breathless just sitting on the sofa",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("the bladder is fine no wait since monday i keep wetting myself",
     "red_flags.bladder_dysfunction"),
    ("i was in a car crash on tuesday no sorry wednesday and my neck has hurt ever since",
     "red_flags.major_trauma_with_spinal_pain"),
    ("its only my back no wait im also shivering with a fever since last night",
     "red_flags.fever_or_unwell_with_spinal_pain"),
    ("it's my shoulder no it's my neck that hurts since the crash and my words come out wrong",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("had chest pain last week no wait it was this morning, tight and sweaty, gone now",
     "red_flags.chest_pain_last_12h"),
    ("my back pain's the usual one no actually it's new since friday and i've been on "
     "prednisolone for two years", "red_flags.prolonged_corticosteroids_with_new_back_pain"),
    # "it's ..." goes on about the same thing: only what was said of it is taken back
    ("my chest is tight no actually it's a crushing pain", "red_flags.chest_pain_now"),
    # a voice note's next statement after a denial, with no stop before it
    ("i haven't been dieting at all that's the thing i've lost a stone since christmas "
     "without trying", "red_flags.unexplained_weight_loss"),
    ("it's not a cramp it doesn't go away my left calf is swollen and red",
     "red_flags.unilateral_calf_pain_swelling"),
])
def test_round_38_a_self_correction_keeps_what_follows(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("my ankle was puffy no sorry it was my wrist after the fall, ankles are normal",
     "acsm.signs_symptoms.ankle_oedema"),
    ("so i have a heart murmur no sorry not me i mean my son has one",
     "acsm.signs_symptoms.known_heart_murmur"),
    ("i had chest pain on sunday no sorry i mean my shoulder hurt on sunday from the gutters",
     "red_flags.chest_pain_12_to_72h"),
    ("both legs were getting weaker no sorry that was my dad last year, mine are strong",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("my calf is swollen no sorry it's not swollen it's just tight after the sprints",
     "red_flags.unilateral_calf_pain_swelling"),
    ("my arm's getting weaker i mean it was weak for a week after the flu last year and "
     "it's fine now", "red_flags.progressive_motor_deficit"),
    # a "no" beside no word of correction is still a denial; an answer is not a correction
    ("had a cold last week, well no fever though, and my back is stiff from gardening",
     "red_flags.fever_or_unwell_with_spinal_pain"),
    ("Any chest pain? no sorry, nothing like that", "red_flags.chest_pain_now"),
])
def test_round_38_a_self_correction_takes_back_what_it_corrects(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 39: writers whose first language is not English, and clinical shorthand
    ("When I get up from bed the room is turning and I hold the door.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Before I fall my eyes go black, it happen two times.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("The breath is missing me when I walk to the kitchen.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("My foot is like a dead fish when I walk, new this week.", "red_flags.acute_foot_drop"),
    ("The foot does not obey me to lift, since Monday.", "red_flags.acute_foot_drop"),
    ("I twisted my ankle yesterday and cannot put the foot on the floor.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("My legs not hold me now, both, every day weaker.",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("The water does not come out normal, this is new with my back pain.",
     "red_flags.bladder_dysfunction"),
    ("I do not know when I need the toilet, back very bad.", "red_flags.bowel_dysfunction"),
    ("Since one hour her face is not same on one side.", "red_flags.sudden_stroke_signs"),
    ("I cannot make a fist since the neck pain.", "red_flags.major_motor_loss"),
    ("The weight go down by itself, 6 kg.", "red_flags.unexplained_weight_loss"),
    ("Cyclist vs van 3/7, low back pain.", "red_flags.major_trauma_with_spinal_pain"),
    ("Tachy at rest 120, flutters.", "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Chest is tight when I make effort, when I stop it goes.",
     "red_flags.exertional_chest_discomfort_relieved_by_rest"),
    # a relative who is the one joining, in a text that never speaks of the writer
    ("My dad has had a heart murmur for years, he wants to join the walking group.",
     "acsm.signs_symptoms.known_heart_murmur"),
])
def test_round_39_plain_words_and_shorthand(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("My dad has a heart murmur, I want to join so I stay healthy.",
     "acsm.signs_symptoms.known_heart_murmur"),
    ("My dad has a heart murmur, he wants to come with me to watch.",
     "acsm.signs_symptoms.known_heart_murmur"),
    ("The pain did not come back after the physio.", "red_flags.sudden_stroke_signs"),
    ("I fainted once at the blood taking when I am 20, after that never.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("The GP listened carefully and said the heart is normal, no murmur.",
     "acsm.signs_symptoms.known_heart_murmur"),
    ("HIV negative, no meds. New low back pain after gardening, improving.",
     "red_flags.immunosuppression_with_new_spinal_pain"),
    ("Arm was weak after the operation, every week more strong.",
     "red_flags.progressive_motor_deficit"),
    ("Less sexual feeling, a side effect of my tablets; back fine.",
     "red_flags.sexual_dysfunction"),
    ("My heart pounds on the last lap of parkrun, just from running, settles fast.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Hip aches at night only when she lies on that side; turning over eases it.",
     "red_flags.unremitting_night_pain"),
])
def test_round_39_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 40: a form's answer taken back for the other one
    ("Q: Swelling of the ankles? A: No... well actually yes, they puff up every evening.",
     "acsm.signs_symptoms.ankle_oedema"),
    ("Q: Racing heartbeat? A: No - hold on, yes, it flutters most days.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Q: Bowels normal? A: yes... no, actually I had an accident without warning on Monday.",
     "red_flags.bowel_dysfunction"),
    ("Pain at night: no... actually yes, every night, constant, turning over does nothing.",
     "red_flags.unremitting_night_pain"),
    # a relative calling or filling in for the client
    ("Caller (son) says mum gets breathless just sitting in her chair now.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("Reception: his wife rang to say he has started walking like he is drunk this week.",
     "red_flags.gait_disturbance"),
    ("Have you had back pain before? No - this is the first time ever, since Monday.",
     "red_flags.first_episode_axial_back_pain"),
    ("Breathless: yes, with the slightest effort, like making the bed.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("A: yes, there is a tight feeling in my chest as I am typing this.",
     "red_flags.chest_pain_now"),
])
def test_round_40_answers_and_callers(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # a question copied with no answer tells nothing
    ("Q: Saddle numbness? A: (left blank)", "red_flags.saddle_numbness"),
    ("Chest pain now: (not answered)", "red_flags.chest_pain_now"),
    ("Q: Weakness in both arms and legs? A: -", "red_flags.multilevel_limb_weakness"),
    ("Night pain not eased by position? (blank - skipped)", "red_flags.unremitting_night_pain"),
    ("Ankle swelling: yes - sorry, ticked the wrong box, meant no. Ankles are fine.",
     "acsm.signs_symptoms.ankle_oedema"),
    ("Any chest pain? no sorry, nothing like that.", "red_flags.chest_pain_now"),
    ("She asked what a heart murmur actually is; her own checks are normal.",
     "acsm.signs_symptoms.known_heart_murmur"),
    ("Numb around the perineum after giving birth, which went months ago.",
     "red_flags.saddle_numbness"),
])
def test_round_40_unanswered_and_taken_back_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 41: time and course
    ("Physio: swelling around both malleoli for a week, increasing, no injury.",
     "acsm.signs_symptoms.ankle_oedema"),
    ("FD: her legs gave way three times since Monday, both of them.",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("She can't raise her right arm away from her side at all since Tuesday.",
     "red_flags.major_motor_loss"),
    ("The leg weakness has gone from mild to severe over two days.",
     "red_flags.progressive_motor_deficit"),
    ("His hip strength has dropped each session for a fortnight.",
     "red_flags.progressive_motor_deficit"),
    ("After he slipped off the step his shoulder looks squared off.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Writing for my mum: she lifted a suitcase on Friday, sudden severe pain in the centre "
     "of her back, eases lying flat, no better since.",
     "red_flags.sudden_central_pain_after_minor_trauma"),
    ("Physio note: 72-year-old man, no previous back pain, new low back pain for a month.",
     "red_flags.first_episode_axial_back_pain"),
])
def test_round_41_time_and_course(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("The dizziness after her ear infection in May settled fully by June.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Breathless at night last winter, settled completely after his inhalers were changed.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("Couldn't pass urine for a day after the op, as the surgeon said might happen.",
     "red_flags.bladder_dysfunction"),
    ("The calf pain on walking in April was a calf strain and has healed.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("Back stiff for two mornings after we moved house, as expected.",
     "red_flags.inflammatory_back_pain_features"),
    ("Her back aches at night if she lies on it and is fine as soon as she turns over.",
     "red_flags.unremitting_night_pain"),
])
def test_round_41_past_expected_and_nearly_gone_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # rounds 42 and focus43: a relative's email about their own classes, claudication,
    # inflammatory back pain, bladder, ankle bone tenderness
    ("Subject: Dad. Hi, Dad's right calf has gone red, hot and swollen since the long flight "
     "home. Please cancel his sessions this week. Thanks, Paula",
     "red_flags.unilateral_calf_pain_swelling"),
    ("Hello, my mother cannot lift her left arm away from her side since the nerve trouble in "
     "her neck, it just hangs. Please don't put her on the shoulder press. Regards, Tim",
     "red_flags.major_motor_loss"),
    ("My left calf goes rock hard and painful on our walks so I have to stop, then after a "
     "minute it's gone.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("My backside and hips go tight and achy after a few minutes of marching and settle after "
     "a rest.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("Cramp in my calf on the cross trainer after about 4 minutes. It goes when I get off.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("Reports back stiffness for over a year, worst after sleep and loosens up with exercise.",
     "red_flags.inflammatory_back_pain_features"),
    ("For my wife Ann (33): her back is so stiff in the night she has to get out of bed and "
     "stretch.",
     "red_flags.inflammatory_back_pain_features"),
    ("Member asked if she can train in the evenings because her back is locked up for the "
     "first two hours every morning.",
     "red_flags.inflammatory_back_pain_features"),
    ("He wakes at 3 or 4 most mornings with low back pain and has to get up and walk around.",
     "red_flags.inflammatory_back_pain_features"),
    ("Since my back went I never feel fully empty after going to the loo.",
     "red_flags.bladder_dysfunction"),
    ("He has lost the feeling of urine passing since he hurt his back.",
     "red_flags.bladder_dysfunction"),
    ("Couldn't go when she needed to this morning, only managed a dribble after ten minutes.",
     "red_flags.bladder_dysfunction"),
    ("Since the back flared I can't tell if I'm weeing or not.",
     "red_flags.bladder_dysfunction"),
    ("Came down wrong off the box on Monday; the bone on top of my midfoot is sore if I poke "
     "it.",
     "red_flags.ankle_or_midfoot_bone_tenderness"),
    ("He rolled his foot. Palpation painful over the base of the fifth metatarsal.",
     "red_flags.ankle_or_midfoot_bone_tenderness"),
    ("Twisted me ankle on Saturday. The bone at the back of the outside is tender to touch.",
     "red_flags.ankle_or_midfoot_bone_tenderness"),
    ("Went over on it at hockey. Sore if you push on the tip of the outer ankle bone.",
     "red_flags.ankle_or_midfoot_bone_tenderness"),
])
def test_round_42_and_focus_sets_findings(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # rounds 42 and focus43: a relative's email about their own classes, claudication,
    # inflammatory back pain, bladder, ankle bone tenderness
    ("Rang to say her dad's legs are getting weaker and he's in hospital; she'll pause her "
     "membership.",
     "red_flags.progressive_motor_deficit"),
    ("Client came in to cancel her classes because her husband had chest pain yesterday; she "
     "is well.",
     "red_flags.chest_pain_12_to_72h"),
    ("My brother's calf has gone red and swollen since his flight, so I'll cancel my sessions "
     "this week to help him.",
     "red_flags.unilateral_calf_pain_swelling"),
])
def test_round_42_and_focus_sets_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # focus43: a limb that cannot be lifted, straightened or grip, a nerve the cause (in the
    # same or another sentence); the caller is the client's relative
    ("Since the trapped nerve in my back the left knee just won't straighten, I can't step up "
     "on that leg.",
     "red_flags.major_motor_loss"),
    ("Can't get the right arm up for the band work, it just hangs. Her shoulder has been like "
     "that since the nerve problem in May.",
     "red_flags.major_motor_loss"),
    ("Can't pick up a mug with my left hand, it won't grip. It started with the pinched nerve "
     "in my neck.",
     "red_flags.major_motor_loss"),
    ("Caller (client's daughter) says her dad can't lift his left leg onto the step since the "
     "sciatic nerve flare.",
     "red_flags.major_motor_loss"),
])
def test_focus_sets_motor_loss_with_a_nerve_cause(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # focus43: a limb that cannot be lifted, straightened or grip, a nerve the cause (in the
    # same or another sentence); the caller is the client's relative
    ("After the drop sets her arms were shaking and she could hardly lift them, normal "
     "fatigue, fine after a rest.",
     "red_flags.major_motor_loss"),
    ("I've got a trapped nerve in my neck with some tingling; I can lift my arm fine and grip "
     "is normal.",
     "red_flags.major_motor_loss"),
])
def test_focus_sets_motor_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 42: emails about a relative's own classes, and words for gait, orthopnoea, weight
    # bearing, sexual dysfunction, night pain, weight loss and exertional jaw pain
    ("Subject: Dad's classes. Hello, Dad gets a tight feeling in his chest when he walks fast "
     "and it goes once he sits down. Thanks, Ruth",
     "red_flags.exertional_chest_discomfort_relieved_by_rest"),
    ("Hello, my daughter hurt her wrist at your kids' trampoline class and now her hand has "
     "gone cold and pale and she can't feel her fingers. Regards, Sam",
     "red_flags.neurovascular_compromise_after_injury"),
    ("Had to hold the wall walking to the changing room, I was walking like I was drunk, and "
     "it's worse each day.",
     "red_flags.gait_disturbance"),
    ("She could not walk heel-to-toe along the line today and it is worse than last week.",
     "red_flags.gait_disturbance"),
    ("I need three pillows to breathe at night now.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("Rolled the ankle on the stairs and couldn't manage more than one step after.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Went over on her ankle in class; she cannot weight-bear.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Since the back pain started she has lost all sensation down there during sex.",
     "red_flags.sexual_dysfunction"),
    ("My back is agony at night lately, can't get comfy whatever I do.",
     "red_flags.unremitting_night_pain"),
    ("Scale shows 9% of her body weight gone since summer, not trying.",
     "red_flags.unexplained_weight_loss"),
    ("Her jaw pain comes on walking uphill and goes with rest.",
     "acsm.signs_symptoms.ischaemic_discomfort"),
])
def test_round_42_emails_and_words(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 42: emails about a relative's own classes, and words for gait, orthopnoea, weight
    # bearing, sexual dysfunction, night pain, weight loss and exertional jaw pain
    ("Down 3 kg in six weeks on my cutting programme, all going to plan.",
     "red_flags.unexplained_weight_loss"),
    ("Heart was hammering after the sprint intervals but came down as soon as I walked it off.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("My mum's calf has swollen up since her flight; I'll cancel my own sessions to look after"
     " her.",
     "red_flags.unilateral_calf_pain_swelling"),
])
def test_round_42_transients_and_plans_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # guards on this round's words: a bowel sensation is not bladder, numbness down there
    # alone is saddle numbness, not sexual dysfunction, and 'March' is not marching
    ("Since my back went I can't tell when I need a poo.",
     "red_flags.bladder_dysfunction"),
    ("No sensation down there since the fall, can't feel the toilet paper.",
     "red_flags.sexual_dysfunction"),
    ("Knee stopped hurting in March, legs tired from the new job.",
     "acsm.signs_symptoms.intermittent_claudication"),
])
def test_round_42_new_words_stay_in_their_flag(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # focus44: laps, BT++, wet pads, hesitancy, a back that does not work till an hour after
    # rising, power against gravity, a question then a dash then the finding, 'who trains with
    # you'
    ("His calves burn after 3 laps of the hall, gone after a sit-down, back on the next lap.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("Asked at reception if there is a bench halfway round the walking track - her left thigh "
     "cramps every time she walks more than a few minutes and she needs to sit until it "
     "passes.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("Inversion injury R. BT++ tip of med malleolus, swollen.",
     "red_flags.ankle_or_midfoot_bone_tenderness"),
    ("Since his back flared up his pads have been wet and he doesn't know when he has gone.",
     "red_flags.bladder_dysfunction"),
    ("Since my back went I can go all day without needing a wee, and when I do go it takes "
     "ages to get started.",
     "red_flags.bladder_dysfunction"),
    ("my back doesnt work till ive been up an hour, been like that since the summer",
     "red_flags.inflammatory_back_pain_features"),
    ("My wife Jo, who trains with you, has had a hot, red, swollen left calf since her long "
     "flight.",
     "red_flags.unilateral_calf_pain_swelling"),
    ("The elbow won't bend against gravity since his neck went.",
     "red_flags.major_motor_loss"),
    ("Asked if she can do classes one-handed - her right arm hasn't been able to lift a cup to"
     " her mouth since the trapped nerve.",
     "red_flags.major_motor_loss"),
    ("Can't go up on my toes on the left at all, the calf just does nothing. Doctor says it's "
     "the nerve.",
     "red_flags.major_motor_loss"),
])
def test_focus44_findings(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # focus44: laps, BT++, wet pads, hesitancy, a back that does not work till an hour after
    # rising, power against gravity, a question then a dash then the finding, 'who trains with
    # you'
    ("Asked if there is a bench on the walking track for her friend, who gets calf cramps "
     "after a few minutes.",
     "acsm.signs_symptoms.intermittent_claudication"),
])
def test_focus44_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 43: a relative who names the client ("I'm Ruth's son"), a hip fracture's
    # shortened and turned-out leg, 'heard it crack', breathless talking or after easy reps,
    # '#2', radicular symptoms in both legs
    ("I'm Ruth's son. Mum takes anti-rejection tablets after her kidney transplant and"
     " her lower back started hurting on Monday, which is new for her.",
     "red_flags.immunosuppression_with_new_spinal_pain"),
    ("Dad slipped on the stairs this morning; his leg looks shorter and is turned out "
     "and he can't get up.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Caught my toe on the squat rack and heard it crack.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("she gets out of breath chatting on the phone lately",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("Got out of breath after a few easy reps of seated rows today.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("Can't walk in a straight line since Tuesday.",
     "red_flags.gait_disturbance"),
    ("since his back went he cant feel when he needs to go #2",
     "red_flags.bowel_dysfunction"),
    ("GP letter: new radicular symptoms in both legs, sent to A&E today.",
     "red_flags.bilateral_leg_neuro_symptoms"),
])
def test_round43_findings(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 43: a form's list answered no after the mention's own item goes on ('at rest,
    # while walking or during exercise: no'), a bodybuilder's cut, a dislocation in college
    ("Chest pain at rest, while walking or during exercise: no",
     "red_flags.chest_pain_now"),
    ("Pain in the chest, jaw or arms with effort: denies.",
     "acsm.signs_symptoms.ischaemic_discomfort"),
    ("Down 5 kg on my cut, tracking macros, all to plan.",
     "red_flags.unexplained_weight_loss"),
    ("Dislocated my shoulder once in college, fine ever since.",
     "red_flags.suspected_fracture_or_dislocation"),
])
def test_round43_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 43, how the words are read: a question whether a class would be ok after the
    # finding, a benign cause the writer rules out ('not his muscles', 'not from the bike
    # seat'), 'not been herself', 'pinned under', 'came in on one leg', legs scissoring,
    # 'can't hold himself up on his legs'
    ("she says she's out of breath just chatting to her sister lately and asked if "
     "aqua aerobics would be ok",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("his jaw and teeth ache on the stair climber, not his muscles, every time he goes"
     " a few minutes",
     "acsm.signs_symptoms.ischaemic_discomfort"),
    ("numb down there and it's not from the bike seat, two days now, back pain too",
     "red_flags.saddle_numbness"),
    ("got her foot pinned under a dropped weight, the toes are going pale and cold",
     "red_flags.neurovascular_compromise_after_injury"),
    ("rolled it at netball on Saturday, came in on one leg and still can't put it down"
     " to walk",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Writing for my nan. She's not been herself for weeks, grey and exhausted, with a"
     " band of pain from her spine round to her ribs that nothing eases.",
     "red_flags.non_mechanical_or_thoracic_spinal_pain_unwell"),
    ("his legs are kind of scissoring when he walks and it's worse since Friday",
     "red_flags.gait_disturbance"),
    ("his wife says he can't hold himself up on his legs and it's getting worse every "
     "day",
     "red_flags.bilateral_leg_weakness_progressive"),
])
def test_round43_readings(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 43: a reminder on file, written instructions, a rule for 'anyone with', a guy at
    # work
    ("Staff safety reminder on file: stop exercising if chest discomfort comes on with"
     " effort.",
     "red_flags.exertional_chest_discomfort_relieved_by_rest"),
    ("Rehab instructions: if the toes go pale, cold or numb after the cast goes on, go"
     " to A&E.",
     "red_flags.neurovascular_compromise_after_injury"),
    ("Desk policy: anyone with chest pain in the last 12 hours does not train that "
     "day.",
     "red_flags.chest_pain_last_12h"),
    ("Not me - a guy at my work gets chest pains and sees a cardiologist.",
     "red_flags.chest_pain_now"),
])
def test_round43_guidance_and_others_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # a relative's byline that names whom the notes are for: that relative is the client
    # (guards)
    ("Writing for my dad. Dad has had crushing chest pain since this morning.",
     "red_flags.chest_pain_now"),
    ("Writing for my wife Anna: she fell off her bike today and her wrist is bent at a"
     " funny angle.",
     "red_flags.suspected_fracture_or_dislocation"),
])
def test_a_byline_s_own_relative_is_the_client(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # ... and another relative named in the same notes is still someone else ('my sister had
    # ...' in notes written for 'my brother'; partly tuned negatives)
    ("My sister had a torn neck artery and double vision last month; I'm writing for "
     "my brother, the client, who is well.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("My father has motor neurone disease with worsening weakness; I'm writing for my "
     "son, the client, who is fine.",
     "red_flags.progressive_motor_deficit"),
    ("Writing for my husband Tom: our daughter broke her arm at school, but Tom is "
     "fine.",
     "red_flags.suspected_fracture_or_dislocation"),
])
def test_another_relative_in_a_byline_text_is_someone_else(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # neck pain or injury, then a sudden giving way, flickering eyes or numb lips told in
    # another sentence (partly tuned misses)
    ("Q: Any neck problem? A: sore neck since Monday. Q: Anything else? A: dizzy, and "
     "my legs gave way suddenly once.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("Neck injury? yes, landed on my head off the trampoline on Sunday; since then "
     "numb around my lips.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("Whiplash from a shunt on Friday. This morning my eyes keep flickering when I "
     "look to the side.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
])
def test_neck_injury_then_a_brainstem_sign_in_another_sentence(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # ... not legs that give out at the end of a run or a set (guards)
    ("Stiff neck from a bad pillow. My legs went from under me at the end of the 5k, "
     "totally normal for me.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("Stiff neck from a bad pillow. My legs gave out on the last set of squats, just "
     "tired.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
])
def test_neck_then_legs_tired_from_training_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 44 (blind check until round 45 was written): what the reader missed
    ("Sorry for the long message, I'm writing from the bench outside your door with a "
     "heavy tight pain in my chest since I got out of the car.",
     "red_flags.chest_pain_now"),
    ("There's a squeezing in the middle of my chest as I'm writing this, it came on "
     "after lunch.",
     "red_flags.chest_pain_now"),
    ("His back has been bad since Sunday and since then he's had no function down below.",
     "red_flags.sexual_dysfunction"),
    ("Fell in the kitchen last night, her leg looks shortened and externally rotated.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("He fell off the ladder on Monday; he feels something crunch when he coughs and "
     "his side is very sore.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("I was dragging the bins out on Friday and felt something go in the middle of my "
     "back, the worst pain ever, only bearable lying flat.",
     "red_flags.sudden_central_pain_after_minor_trauma"),
    ("I landed hard coming off the bottom step. Since then severe pain dead centre of "
     "my spine, easier lying down.",
     "red_flags.sudden_central_pain_after_minor_trauma"),
    ("Back from the coach trip to Knock and one calf is hot, swollen and sore.",
     "red_flags.unilateral_calf_pain_swelling"),
    ("Weight 80.2 kg in June, 72.0 kg today, not dieting.",
     "red_flags.unexplained_weight_loss"),
    ("Went over on my ankle on the kerb this morning. Can't put it on the ground.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("These last few days I walk like a toddler and my legs feel like they're not mine.",
     "red_flags.gait_disturbance"),
    ("Asked if pilates is ok for back stiffness that lasts over an hour every morning "
     "and eases with exercise.",
     "red_flags.inflammatory_back_pain_features"),
    ("Since her fall she can't lift her left leg onto the bed, no better and no worse since.",
     "red_flags.major_motor_loss"),
    ("Exam: reduced power in both upper limbs and both lower limbs, new this week.",
     "red_flags.multilevel_limb_weakness"),
    ("I have thinning of the bones. This week I have had very bad new pain in my back.",
     "red_flags.osteoporosis_with_new_severe_spinal_pain"),
    ("Lately even a slow stroll to the shop leaves me panting.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
])
def test_round_44_misses(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # ... and what it read that was not there (guards)
    ("My GP said if I ever get palpitations I should stop and call her. None so far.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("The nurse said if my back pain ever comes with a fever I'm to see a doctor; no "
     "fever.",
     "red_flags.fever_or_unwell_with_spinal_pain"),
    ("My heart was pounding at the cup final when we scored in injury time, great day.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Her walking is fine; it's my husband who has the shuffle and he isn't joining.",
     "red_flags.gait_disturbance"),
    ("Stiff lower back this morning after yesterday's first spin class, gone by noon.",
     "red_flags.inflammatory_back_pain_features"),
    ("Patient on long-term prednisolone. Any new back pain should prompt a GP review. "
     "She reports none.",
     "red_flags.prolonged_corticosteroids_with_new_back_pain"),
    ("Lost a few pounds after my hernia operation, the surgeon said to expect it.",
     "red_flags.unexplained_weight_loss"),
    ("Ached in bed last night after the new leg programme, but it eased once I rolled "
     "onto my side.",
     "red_flags.unremitting_night_pain"),
    ("The chest pains were from my gallbladder and since they took it out I've had no "
     "pain whatsoever.",
     "red_flags.chest_pain_now"),
    ("Wiped out for a month after covid but fully back to myself now.",
     "acsm.signs_symptoms.unusual_fatigue_or_dyspnoea"),
    ("My knees crunch when I squat and I felt something crunch on the last rep.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("The baby only settles when I can't put it on the floor.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    # advice reported inside PAR-Q+ 1's own words ("doctor said ... heart")
    ("The doctor said if I get a racing heart during exercise I should stop and ring her.",
     "parq.general.g1"),
    ("My GP said if my heart ever races I must stop and phone him.",
     "parq.general.g1"),
])
def test_round_44_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)



@pytest.mark.parametrize("text, flag", [
    # round 45 (clinical shorthand, English as a second language): what it missed
    ("Last week I fall in the bathroom, everything become black and I wake on the floor.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("My head turn round when I stand up from the bed.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Short breath for me when I only do small things at home.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("Very short of breath at reception, says it happens whenever he walks any distance.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("Lying on his back makes him breathless within a minute.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("Every night I wake up with no air and must open the window.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("The heart make boom boom very fast when I sit and watch TV.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("The foot is dead since today, I cannot put up the front part.",
     "red_flags.acute_foot_drop"),
    ("She went over on her ankle off the step. Unable to take any steps after.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Twisted his ankle in the warm-up, managed two steps then had to stop.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Turned her foot on the kerb; pressing around it, she jumped at the bony bump on the "
     "outside edge of the foot.",
     "red_flags.ankle_or_midfoot_bone_tenderness"),
    ("With this back pain both my legs are sleeping since Sunday.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("My back is bad and when I go to the toilet I push and only little comes.",
     "red_flags.bladder_dysfunction"),
    ("Since the back pain the water comes out alone, I don't feel it.",
     "red_flags.bladder_dysfunction"),
    ("Back pain since Monday and now it come without I know when I need the poo.",
     "red_flags.bowel_dysfunction"),
    ("c/o LBP and loss of sensation when passing stool since yesterday.",
     "red_flags.bowel_dysfunction"),
    ("Treadmill walk, stopped at 3 min holding his calf; eased after standing still, came "
     "back at the same point.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("Chest pain when I train and also at rest.",
     "red_flags.chest_pain_now"),
    ("I have 68 years and never before the back made me problems, now it hurts low down.",
     "red_flags.first_episode_axial_back_pain"),
    ("She could not walk in a straight line across the room today, which is new.",
     "red_flags.gait_disturbance"),
    ("Accident with the car on Monday. Now my neck and my back are very pain.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("My legs are weak and the weakness is going up to the hips.",
     "red_flags.multilevel_limb_weakness"),
    ("O/E deficits at C6 and C7 on the left and L4 on the right, worse than last week.",
     "red_flags.multilevel_limb_weakness"),
    ("My neck hurts and when I turn the head I fall down, my legs go.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("I feel sick all the time and weak, and the back in the middle hurts me always.",
     "red_flags.non_mechanical_or_thoracic_spinal_pain_unwell"),
    ("When I wipe after the toilet I not feel the paper, down there is like sleeping.",
     "red_flags.saddle_numbness"),
    ("Since the back pain started I have problems with my man function.",
     "red_flags.sexual_dysfunction"),
    ("My hand suddenly was not working and the face felt strange.",
     "red_flags.sudden_stroke_signs"),
    ("His talking was wrong after he came off the bike this morning.",
     "red_flags.sudden_stroke_signs"),
    ("The shoulder came out from the place on the bar and now it looks square.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("I fell on my hand on the ice and now the wrist looks like a fork.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Pharmacist note: asked for a support bandage for a red, hot, swollen left calf.",
     "red_flags.unilateral_calf_pain_swelling"),
    ("He has not slept for a week because the pain in his back goes on all night whatever "
     "position he tries.",
     "red_flags.unremitting_night_pain"),
    ("FD: she asked if there is a seated class she can join, says she can't breathe if she "
     "lies back in bed.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
])
def test_round_45_misses(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # ... and what it read that was not there (guards)
    ("Went lightheaded after the rowing sprints while panting hard, fine after sitting.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Urology: LUTS due to BPH, stable on tamsulosin.",
     "red_flags.bladder_dysfunction"),
    ("Chest pain yesterday, troponins x2 negative, ECG normal, non-cardiac, discharged.",
     "red_flags.chest_pain_12_to_72h"),
    ("Wrist sprain last week: distal pulses palpable, sensation intact, hand warm.",
     "red_flags.neurovascular_compromise_after_injury"),
    ("Erectile dysfunction since 2015, diabetes-related, unchanged.",
     "red_flags.sexual_dysfunction"),
    ("Arms and legs weak after yesterday's heavy squat day, normal post-workout fatigue.",
     "red_flags.multilevel_limb_weakness"),
    ("FD: asked for any chest pain - none.", "red_flags.chest_pain_now"),
    ("I don't have back pain because I stretch every day.", "rf4.musculoskeletal_pain"),
    ("Told her that chest pain during exercise is a warning sign.",
     "red_flags.exertional_chest_discomfort_relieved_by_rest"),
])
def test_round_45_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # partly tuned misses (rounds 15 to 45), first person: a second pass
    ("Since the back flared I've had two accidents and didn't feel that I needed to go.",
     "red_flags.bowel_dysfunction"),
    ("I am 72 and never in my life I had back pain, but now it hurts every day.",
     "red_flags.first_episode_axial_back_pain"),
    ("My back is awful at night, I can't get comfy whatever I do.",
     "red_flags.unremitting_night_pain"),
    ("New urinary incont and LBP, no UTI sx.", "red_flags.bladder_dysfunction"),
])
def test_partly_tuned_first_person_misses_second_pass(text: str, flag: str) -> None:
    assert flag in flags(text)

@pytest.mark.parametrize("text, flag", [
    # partly tuned misses (rounds 15 to 43): the client's own words
    ("Every time I wheel the barrow up the slope a pressure builds behind my ribs, I stop "
     "and it clears, same for weeks.",
     "red_flags.exertional_chest_discomfort_relieved_by_rest"),
    ("My chest is pressing when I make effort and when I sit it goes.",
     "red_flags.exertional_chest_discomfort_relieved_by_rest"),
    ("This morning the place of the heart was squeezing, now no.",
     "red_flags.chest_pain_last_12h"),
    ("A thud, then a pause, then a flutter, many times a day.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("HR read 160 while she was sitting quietly between sets.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("He rolled his ankle on the step; he tried four steps and couldn't.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("My walking has become unsteady this week and I've nearly gone over three times.",
     "red_flags.gait_disturbance"),
    ("Gait abnormal and new: unable to heel-toe walk.",
     "red_flags.gait_disturbance"),
    ("Back went last week and now I'm leaking wee without noticing, not even after the "
     "babies did that happen.",
     "red_flags.bladder_dysfunction"),
    ("Tripped on the kerb and sat down hard, my spine is screaming, only ok flat on the "
     "floor.",
     "red_flags.sudden_central_pain_after_minor_trauma"),
    ("Weighed 70.1 kg today against 78 kg in the spring, eating as usual.",
     "red_flags.unexplained_weight_loss"),
    ("Wt: 90kg (Feb) -> 81kg (May), no diet.",
     "red_flags.unexplained_weight_loss"),
    ("59 kg now, 66 kg then, not trying.",
     "red_flags.unexplained_weight_loss"),
    ("Scan shows 9% of body weight gone in four months, not dieting.",
     "red_flags.unexplained_weight_loss"),
    ("C5/C6/L4 all 4/5 today, were 5/5 last month. Getting worse.",
     "red_flags.multilevel_limb_weakness"),
    ("Asked if swollen ankles matter because hers have been puffy since this morning.",
     "acsm.signs_symptoms.ankle_oedema"),
    ("My back went on Friday and since then numbness and no arousal during sex.",
     "red_flags.sexual_dysfunction"),
])
def test_partly_tuned_misses_read_now(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # ... and their look-alikes (guards)
    ("Chest feels strong after bench press day, no pain.",
     "red_flags.exertional_chest_discomfort_relieved_by_rest"),
    ("Weighed 82 kg today against 80 kg in the spring, bulking.",
     "red_flags.unexplained_weight_loss"),
    ("Walking is fine, the limp has nearly gone over the last week.",
     "red_flags.gait_disturbance"),
    ("Power 5/5 in all four limbs.",
     "red_flags.multilevel_limb_weakness"),
    ("My hand has no grip on the wet bar.",
     "red_flags.major_motor_loss"),
])
def test_partly_tuned_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 46: a form's or a chat's reply after the question
    ("Swollen, hot joint and a fever? [ ] yes [x] no", "red_flags.hot_swollen_joint_with_fever"),
    ("Any fracture or dislocation now? [x] no", "red_flags.suspected_fracture_or_dislocation"),
    ("Slurred speech, facial droop or arm weakness: none of the above.",
     "red_flags.sudden_stroke_signs"),
    ("Sharp central back pain after a minor knock? - nothing of the sort",
     "red_flags.sudden_central_pain_after_minor_trauma"),
    ("Coach: any chest pain on the hills? / Client: nope, just the legs",
     "red_flags.exertional_chest_discomfort_relieved_by_rest"),
    ("PT: any dizziness this week? / Member: no, all good",
     "acsm.signs_symptoms.dizziness_or_syncope"),
])
def test_round_46_replies_after_the_question_deny_it(text: str, flag: str) -> None:
    assert flag not in flags(text)


def test_a_ticked_yes_still_fires() -> None:
    assert "red_flags.chest_pain_now" in flags("Any chest pain? [x] yes [ ] no")


@pytest.mark.parametrize("text, flag", [
    # round 46 misses, in other words
    ("Coach: you look slimmer / Me: not been dieting at all, it's just falling off, odd.",
     "red_flags.unexplained_weight_loss"),
    ("I have become really thin since the summer without any change in my meals.",
     "red_flags.unexplained_weight_loss"),
    ("Back pain since Friday and I am not able to perform with my husband since then.",
     "red_flags.sexual_dysfunction"),
    ("Breathing is heavy since Sunday even sitting down.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("His calf stops him on every walk to the bus, fine after a minute standing.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("Heart races for a few minutes while I'm sitting reading, probably the coffee.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Since Sunday not able to control the motion and my back aches.",
     "red_flags.bowel_dysfunction"),
    ("Missed class: no control down below since last night, back is bad.",
     "red_flags.bowel_dysfunction"),
    ("Both my legs have a current-like pain going down from the back since Monday.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("My husband says my smile is skew since breakfast.", "red_flags.sudden_stroke_signs"),
    ("Since Tuesday both legs are becoming weak, walking to the car is not possible now.",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("My back is hurting terribly since three days. I was told I have osteoporosis.",
     "red_flags.osteoporosis_with_new_severe_spinal_pain"),
    ("Since two days the low back is very sore. Osteoporosis diagnosed in the spring.",
     "red_flags.osteoporosis_with_new_severe_spinal_pain"),
    ("My husband says I am walking skew since Friday and it is getting worse.",
     "red_flags.gait_disturbance"),
    ("Since noon she is talking like she's had a few, and she doesn't drink.",
     "red_flags.sudden_stroke_signs"),
])
def test_round_46_misses(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # ... and their look-alikes (guards)
    ("Slimmed down a lot since the new diet, really pleased.",
     "red_flags.unexplained_weight_loss"),
    ("My back is fine, but I am not able to perform the deadlift without my belt.",
     "red_flags.sexual_dysfunction"),
    ("Went to the pub, talking like I've had a few after four pints, ha.",
     "red_flags.sudden_stroke_signs"),
    ("The picture in the hall hangs skew, I walk past it daily.", "red_flags.gait_disturbance"),
    ("My heart races after my third espresso of the morning.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
])
def test_round_46_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text", [
    # Caribbean English "mi" (my, me) is not MI, a myocardial infarction
    "mi knee a hurt mi from yesterday",
    "Mi foot swell up and mi cyaan walk far",
    "di doctor tell mi fi rest it",
])
def test_caribbean_mi_is_not_a_heart_attack(text: str) -> None:
    assert "acsm.known_cv_disease" not in flags(text)


@pytest.mark.parametrize("text", [
    "had an MI back in 2015", "had an MI a year ago", "Hx of MI 2019, stable",
    "post MI, on statins",
])
def test_mi_in_a_history_is_still_a_heart_attack(text: str) -> None:
    assert "acsm.known_cv_disease" in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 47 misses, in other words
    ("Coach note: on the easy warm-up bike she said the room was tilting and sat down.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Breathless on the slowest treadmill speed within a minute, had to stop.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("He could not finish a sentence on the gentle walk.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("Since Monday my breath is not reaching, even lying quiet on the couch.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("At night when I lie flat my breath won't come properly, so I sit up.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("Upper stomach ache comes on walking up the hill. It settles once I sit down.",
     "acsm.signs_symptoms.ischaemic_discomfort"),
    ("His left arm goes achey on the incline walk and eases a few minutes after stopping.",
     "acsm.signs_symptoms.ischaemic_discomfort"),
    ("My heart went ninety to the dozen in bed last night for no reason.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Even to cook a small meal I am tired now, I was never like this.",
     "acsm.signs_symptoms.unusual_fatigue_or_dyspnoea"),
    ("Went over my ankle at netball. Managed one step, then had to be helped off.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("chess pain since this morning, feels tight", "red_flags.chest_pain_now"),
    ("Back agony since Sunday and roasting then freezing all night.",
     "red_flags.fever_or_unwell_with_spinal_pain"),
    ("Went to the toilet three times this morning but could not go. Back pain since Friday.",
     "red_flags.bladder_dysfunction"),
    ("My waist has been paining me since Tuesday and both my legs feel like ants are "
     "walking in them.", "red_flags.bilateral_leg_neuro_symptoms"),
    ("heart transplant on tacrolimus full stop mid back pain for ten days full stop no fever",
     "red_flags.immunosuppression_with_new_spinal_pain"),
    ("Told my bones are thin. Since Saturday my back is paining me seriously.",
     "red_flags.osteoporosis_with_new_severe_spinal_pain"),
    ("A lorry hit our car on the motorway last week. My back has been sore ever since.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("The scales keep dropping. I have not changed my diet at all.",
     "red_flags.unexplained_weight_loss"),
    ("My hand just flops down, I can't even lift my wrist since the neck went.",
     "red_flags.major_motor_loss"),
])
def test_round_47_misses(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 47: a form's reply after its question, in more layouts
    ("Any swelling of the ankles? Client ticked no.", "acsm.signs_symptoms.ankle_oedema"),
    ("Hot swollen joint with a fever? Answer ticked: no", "red_flags.hot_swollen_joint_with_fever"),
    ("Pain at night no position eases? Ticked no.", "red_flags.unremitting_night_pain"),
    ("Double vision or trouble swallowing with the neck pain? Client denied both.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    # ... and look-alikes
    ("A murmur of protest went round the class at the burpees.",
     "acsm.signs_symptoms.known_heart_murmur"),
    ("I play chess on Sundays; pain in my knee after the run.", "red_flags.chest_pain_now"),
    ("My waist size is down 4 cm, knee sore after squats.",
     "red_flags.non_mechanical_or_thoracic_spinal_pain_unwell"),
    ("When I lie down my breath does not come short at all.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("My back pain is not reaching down my legs at all.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("Upper tummy stitch when I run after lunch, goes when I stop.",
     "acsm.signs_symptoms.ischaemic_discomfort"),
])
def test_round_47_replies_and_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


def test_a_ticked_yes_after_the_question_still_fires() -> None:
    assert "acsm.signs_symptoms.ankle_oedema" in flags("Any swelling of the ankles? Client "
                                                       "ticked yes.")


@pytest.mark.parametrize("text, flag", [
    # Caribbean English read as English (same-length words: the offsets hold)
    ("Mi back a hurt mi and di pain run dung both mi leg dem, mi foot dem feel dead.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("Mi cyaan pee from yesterday and mi back a hurt mi bad.", "red_flags.bladder_dysfunction"),
    ("Mi han dem weak an mi foot dem weak too, mi cyaan climb di step dem.",
     "red_flags.multilevel_limb_weakness"),
])
def test_caribbean_english_is_read(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text", [
    "Mi han dem weak an mi cyaan hol mi cup",
    "mi stumble like mi drunk an mi back a hurt mi",
    "Mi fall dung di step an mi cyaan walk pon it",
    # any verb, not only the listed ones (found on the client page: "when mi need fi pee")
    "Mi back a hurt mi an now mi cyaan feel when mi need fi pee",
    "mi go a di doctor Tuesday",
])
def test_caribbean_pronoun_mi_after_and_is_not_a_heart_attack(text: str) -> None:
    assert "acsm.known_cv_disease" not in flags(text)


@pytest.mark.parametrize("text", [
    "an MI back in 2015, stented", "MI a year ago", "had a MI last year", "MI x2, on bisoprolol",
    "heart attack (MI) in 2018", "MI and a stent in 2020", "Hx MI and CABG, mi knee a hurt mi",
])
def test_an_mi_in_its_usual_words_is_still_a_heart_attack(text: str) -> None:
    assert "acsm.known_cv_disease" in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 48: a part or a sense that no longer does its work ("not" is the loss)
    ("For two days my left foot is not coming up when I walk.", "red_flags.acute_foot_drop"),
    ("Since the fall off the step the ankle is not taking my weight.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Back pain and I am not feeling when I need to open my bowels.",
     "red_flags.bowel_dysfunction"),
    ("The pain is not leaving me at night, I turn over and over and nothing helps.",
     "red_flags.unremitting_night_pain"),
    # "not even" after an inability stresses it
    ("Twisted my ankle on the stairs, can't walk on it, not even two steps.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    # South Asian English "pain in the breast" is chest pain
    ("Pain in the breast since this morning, heavy, like a weight.", "red_flags.chest_pain_now"),
    # forms: a ticked box, an answer after a colon
    ("Swollen ankles [x]  Leg ulcers [ ]", "acsm.signs_symptoms.ankle_oedema"),
    # chest pain at rest ticked beside on exertion: not only the stable pattern
    ("Chest pain when resting - Y / with exertion - Y", "red_flags.chest_pain_now"),
    ("Rolled ankle: Y   Walk 4 steps: N", "red_flags.ankle_injury_cannot_bear_weight"),
    # a byline heading the notes: the relative writes about the client
    ("Son reports: Mum's ankles balloon out by teatime now.", "acsm.signs_symptoms.ankle_oedema"),
    # weakness told by force and comparison
    ("Both legs are without strength, both of them, weaker every day.",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("My arms and legs have no strength since Monday.", "red_flags.multilevel_limb_weakness"),
    ("Hip flexors 4/5 last week, now 3/5 on the left.", "red_flags.progressive_motor_deficit"),
    ("He walks like a drunk man though he never drinks, and his back hurts.",
     "red_flags.gait_disturbance"),
    ("Her knee is hot and red and she has fiebre since yesterday.",
     "red_flags.hot_swollen_joint_with_fever"),
    ("She cannot feel down there when she wipes since the back went.",
     "red_flags.saddle_numbness"),
    ("Suddenly his mouth pulled to one side and the arm went weak.",
     "red_flags.sudden_stroke_signs"),
    ("Fell off the horse, the bone is sticking up at the collarbone.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("The right calf is painful and big like a balloon; the other one is normal.",
     "red_flags.unilateral_calf_pain_swelling"),
    ("Goes all grey and wobbly when she stands from the bed.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("My watch sends high heart rate alerts while I sit at my desk.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("I am sleeping in a sitting position, lying flat I cannot breathe.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
])
def test_round_48_misses(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("My foot is not dragging any more since the physio.", "red_flags.acute_foot_drop"),
    ("Swollen ankles [ ]  Varicose veins [x]", "acsm.signs_symptoms.ankle_oedema"),
    ("Chest pain [ ]  Dizziness [ ]", "red_flags.chest_pain_now"),
    ("Chest pain at rest - N / on exertion - N", "red_flags.chest_pain_now"),
    ("Every week I lose a bit more weight on the plan, walking daily.",
     "red_flags.progressive_motor_deficit"),
    ("Walked like a drunk man after the wine at the wedding, fine now.",
     "red_flags.gait_disturbance"),
    ("Pain in my left breast before my period, the GP says hormonal.",
     "red_flags.chest_pain_now"),
    ("Twisted my ankle, it is not even sore, I can walk on it fine.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Legs like jelly after the squats, both of them, since Monday's class.",
     "red_flags.bilateral_leg_weakness_progressive"),
])
def test_round_48_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


# Round 49, tuned on (docs/clinical-engine.md). Written here, not copied from the corpus.
@pytest.mark.parametrize("text, flag", [
    # a staff note relaying a relative's call: the one they call about is the client
    ("Caller (nephew) says Uncle gets puffed out walking to the letterbox now.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("Voicemail from Tane's partner: she keeled over at the pool, out for a minute.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Husband interpreting: since his back went he cannot have relations properly.",
     "red_flags.sexual_dysfunction"),
    # a relative asked whether they may still come is the member
    ("Hi, it's Sue, my husband's face is drooping since lunch, can he still come tonight?",
     "red_flags.sudden_stroke_signs"),
    # a child the client lifts is the object, not the subject
    ("Hurt her back carrying her son and she has lost feeling during sex since.",
     "red_flags.sexual_dysfunction"),
    # words in double quotes read as words
    ('Rang to cancel: his foot "won\'t lift up" since this morning.',
     "red_flags.acute_foot_drop"),
    ('Both ankles have "blown up" by teatime this week.', "acsm.signs_symptoms.ankle_oedema"),
    # lay and regional wording
    ("Since Friday my speech has been thick and my hand drops the cup.",
     "red_flags.sudden_stroke_signs"),
    ("She walks like she's had a few, feet wide apart, worse each day.",
     "red_flags.gait_disturbance"),
    ("My legs won't go where I tell them lately and it's getting worse.",
     "red_flags.gait_disturbance"),
    ("Head goes light and black in the eyes when I stand at the sink.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Totally munted after vacuuming one room, never used to be.",
     "acsm.signs_symptoms.unusual_fatigue_or_dyspnoea"),
    ("My heart is racing by itself while I watch TV, many times this month.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Letter: suspected atrial fibrillation, Holter pending.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Since the back went both legs have zingers down to the feet.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("Since my back pain I go to the toilet and nothing comes for ages.",
     "red_flags.bladder_dysfunction"),
    ("Mid-back aches day and night, movement changes nothing, and I feel crook.",
     "red_flags.non_mechanical_or_thoracic_spinal_pain_unwell"),
])
def test_round_49_misses(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Weeing much more often since the GP put me on a water tablet, as expected.",
     "red_flags.bladder_dysfunction"),
    ("A bit woozy after the dentist's injection, fine within the hour.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Asked about her cousin, whose legs are getting weaker; she herself is well.",
     "red_flags.progressive_motor_deficit"),
    ("Walking like I've had a few after the wine at the wedding, fine now.",
     "red_flags.gait_disturbance"),
])
def test_round_49_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


def test_a_water_tablet_does_not_hide_lost_bladder_feeling() -> None:
    text = "Since my back went I can't feel when I need to pee; I'm on a water tablet."
    assert "red_flags.bladder_dysfunction" in flags(text)


@pytest.mark.parametrize("text, shown", [
    ('Both ankles have "blown up" by teatime this week.', 'ankles have "blown up"'),
    ("Both ankles have \u201cblown up\u201d by teatime.", "ankles have \u201cblown up\u201d"),
])
def test_words_shown_to_staff_close_the_quote_they_open(text: str, shown: str) -> None:
    mentions, _ = free_text.read(text, as_of=AS_OF)
    words = [m.words for m in mentions if m.flag == "acsm.signs_symptoms.ankle_oedema"]
    assert words and all(w.endswith(shown) for w in words), words


# Round 50, tuned on (docs/clinical-engine.md). Written here, not copied from the corpus.
@pytest.mark.parametrize("text, flag", [
    # a pain score set off by commas or brackets inside the words it scores
    ("Crushing pain, 8/10, in my chest since I sat down.", "red_flags.chest_pain_now"),
    ("A tight pain (6/10) in my chest right now.", "red_flags.chest_pain_now"),
    # "paining", as written in Ghana, Nigeria and India
    ("My knee is paining me since the match.", "parq.general.g6"),
    # trauma told in other words
    ("I fell down the whole flight of stairs on Sunday and my back hurts badly.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("Got knocked off my bike by a van yesterday and my neck hurts.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("The matatu somersaulted twice on Friday and my lower back is very sore.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("Fell off the scaffold and my wrist bent the wrong way.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Dropped a paving slab on it, the top of my foot feels crunchy.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Physio says power only 1 over 5 in the left ankle since the back went.",
     "red_flags.major_motor_loss"),
    # weights read off a scale, and kilos gone
    ("Scales said 90 kg in March, 81 kg now, and I eat as usual.",
     "red_flags.unexplained_weight_loss"),
    ("Weight dropped from 68 to 61 kg this year, not dieting at all.",
     "red_flags.unexplained_weight_loss"),
    ("Six kilos gone since spring and I have not changed a thing.",
     "red_flags.unexplained_weight_loss"),
    # cauda equina signs in lay and joking words
    ("Since the back went the poo is coming out by itself, I can't feel it.",
     "red_flags.bowel_dysfunction"),
    ("Back is bad and my manhood has not been working since, it's numb.",
     "red_flags.sexual_dysfunction"),
    ("Since this sciatica started I've lost all feeling during sex.",
     "red_flags.sexual_dysfunction"),
    # ACSM signs in lay words and other languages
    ("My heart does the salsa when I'm lying in bed, skipping about.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Short breath even when I'm sitting watching TV.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("Both ankles are mukumi every evening this month.", "acsm.signs_symptoms.ankle_oedema"),
])
def test_round_50_misses(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Went dizzy after a 200 m sprint from huffing and puffing, fine a minute later.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Heart pounding on the roller coaster, loved it.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Night back ache went away once we got a new mattress.",
     "red_flags.unremitting_night_pain"),
    ("Hip strength was 2/5 last year, now 5/5.", "red_flags.major_motor_loss"),
    ("Scales said 70 kg in March, 78 kg now.", "red_flags.unexplained_weight_loss"),
    ("5 kg off since I started dieting, feeling great.", "red_flags.unexplained_weight_loss"),
])
def test_round_50_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


def test_a_new_mattress_tried_does_not_hide_night_pain() -> None:
    text = "The ache in my spine never lets up at night, I've tried a new mattress, nothing helps."
    assert "red_flags.unremitting_night_pain" in flags(text)


# Round 51, tuned on (docs/clinical-engine.md). Written here, not copied from the corpus.
@pytest.mark.parametrize("text, flag", [
    # a clock time after "at" is not an age in the teens ("fainted at 16")
    ("Tight pain in my chest last night at 11 watching telly, gone after half an hour.",
     "red_flags.chest_pain_last_12h"),
    ("Heavy feeling in my chest this morning at 10, it eased off by 11.",
     "red_flags.chest_pain_last_12h"),
    ("My chest is proper killing us right now and my arm's tingly.",
     "red_flags.chest_pain_now"),
    ("Left calf looks double the size of the right since the long drive.",
     "red_flags.unilateral_calf_pain_swelling"),
    ("All of a sudden my mouth stopped working and the words came out wrong.",
     "red_flags.sudden_stroke_signs"),
    ("He could not lift his straight left leg off the plinth at all today.",
     "red_flags.major_motor_loss"),
    ("Left hand feebler every week, can't hold my mug now.",
     "red_flags.progressive_motor_deficit"),
    ("Hoiked the wheelbarrow up the step. My spine went bang, severe pain dead centre.",
     "red_flags.sudden_central_pain_after_minor_trauma"),
    ("Slipped on the last stair on Friday. Since then central back pain, very bad, "
     "easier lying down.", "red_flags.sudden_central_pain_after_minor_trauma"),
    ("Because when I lie flat I can't breathe, I sleep on three pillows.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("My belt is on its last hole. Not dieting, no idea why.",
     "red_flags.unexplained_weight_loss"),
    # fever in the writer's own language beside an English account
    ("My knee is very swollen and hot and I have febbre 39.",
     "red_flags.hot_swollen_joint_with_fever"),
    ("My leg is dragging more than last week.", "red_flags.progressive_motor_deficit"),
])
def test_round_51_misses(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Fainted at 16 during a school assembly, never since.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("The deckchair collapsed under me at the beach, bruised my pride.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Light-headed after the 800 m reps from breathing too hard, fine a minute later.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Woozy once at the party but it was the prosecco, nothing since.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Heart rate hit 180 on the hill sprint, normal for me, recovers fast.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Heart pounding before my exam, just nerves, fine after.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("The only murmur in here is the coach complaining.",
     "acsm.signs_symptoms.known_heart_murmur"),
    ("Numb down below after the epidural, wore off that evening.",
     "red_flags.saddle_numbness"),
    ("Numb down below after the epidural, wore off that evening.",
     "red_flags.sexual_dysfunction"),
    ("Backside went numb on the park bench, fine once I stood up.",
     "red_flags.saddle_numbness"),
    ("Arm went numb watching the cricket, slept on it funny.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("Dropped a kettlebell on my foot, bruised, walking fine.", "red_flags.acute_foot_drop"),
    ("Chest pain on Sunday after football, ECG and bloods all normal at A&E, they said "
     "muscular.", "red_flags.chest_pain_12_to_72h"),
    ("Chest tight in cold air running, that's my asthma, the inhaler sorts it.",
     "red_flags.exertional_chest_discomfort_relieved_by_rest"),
    ("Back aches from gardening and I feel hot, but it's the heatwave, thermometer says 36.9.",
     "red_flags.fever_or_unwell_with_spinal_pain"),
    ("Left the ice pack on my sprained wrist too long and my fingers went numb, fine now.",
     "red_flags.neurovascular_compromise_after_injury"),
    ("Neck stiff from the desk and blurred vision, but that was just my old glasses.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("Belt on the last hole thanks to the diet club, down a stone on purpose.",
     "red_flags.unexplained_weight_loss"),
])
def test_round_51_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # the benign words must not hide the finding they sit beside
    ("Neck pain since the crash and double vision, and my old glasses are fine.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("Crick in my neck after the fall and my hand has gone numb.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("I collapsed onto the chair after the class and everything went black.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Numb around my back passage since Tuesday with bad back pain, no epidural ever.",
     "red_flags.saddle_numbness"),
    ("My foot slaps down and drags since Monday; I dropped a weight on it years ago but "
     "this is new.", "red_flags.acute_foot_drop"),
])
def test_round_51_findings_beside_benign_words(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Really dizzy when I stand up fast and I have to sit on the floor, x2 today.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("I am breathless when I just brush my teeth.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("I lose my breath just walking slowly to the bus stop.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("A pressing in my throat and both arms when I walk uphill to work.",
     "acsm.signs_symptoms.ischaemic_discomfort"),
    ("Clinic letter 2023: claudication right calf, awaiting vascular review.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("I used to walk the dog for an hour no problem, now ten minutes and I am done, "
     "breathless and grey.",
     "acsm.signs_symptoms.unusual_fatigue_or_dyspnoea"),
    ("Both my legs feel like cotton wool since my back went on Friday.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("My legs are useless, both of them, getting weaker every day since Monday.",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("Back is very sore and my body is hot, shivering since yesterday.",
     "red_flags.fever_or_unwell_with_spinal_pain"),
    ("My feet are not obeying me and I sway like a drunk on the pavement, back aches.",
     "red_flags.gait_disturbance"),
    ("I have HIV. Since one week my back hurts, it never hurt before.",
     "red_flags.immunosuppression_with_new_spinal_pain"),
    ("Knocked down by a reversing delivery lorry on Monday, severe pain in my spine since.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("Arms without force, legs without force too, for a week, getting more bad.",
     "red_flags.multilevel_limb_weakness"),
    ("My mid back pain is the same lying or walking and I feel unwell and sweaty.",
     "red_flags.non_mechanical_or_thoracic_spinal_pain_unwell"),
    ("Osteo porosis and my back suddenly went very bad yesterday, 9 out of 10.",
     "red_flags.osteoporosis_with_new_severe_spinal_pain"),
    ("Via her son: she takes steroid tablets daily for years for her lungs and now a new "
     "back pain.", "red_flags.prolonged_corticosteroids_with_new_back_pain"),
    ("My private area and the backs of both thighs have gone numb since Sunday, back pain.",
     "red_flags.saddle_numbness"),
    ("Since the fall at work he has lost all function down below.",
     "red_flags.sexual_dysfunction"),
    ("Fell on the ice, my leg looks shorter and is turned outwards.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("I cannot sleep for weeks with this back pain, no change of position will ease it.",
     "red_flags.unremitting_night_pain"),
    ("dads neck and back pain wont settle in any position and hes shivery, he made me type "
     "this", "red_flags.fever_or_unwell_with_spinal_pain"),
])
def test_round_52_misses(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Do swollen ankles mean heart trouble? Just curious, mine are fine.",
     "acsm.signs_symptoms.ankle_oedema"),
    ("Can you train with a heart murmur? Asking for a friend, I do not have one.",
     "acsm.signs_symptoms.known_heart_murmur"),
    ("What does foot drop look like? The poster mentions it, I do not have it.",
     "red_flags.acute_foot_drop"),
    ("Is night pain a warning sign? Asking for a leaflet.",
     "red_flags.unremitting_night_pain"),
    ("I murmur the count under my breath during sets.",
     "acsm.signs_symptoms.known_heart_murmur"),
    ("Unsteady after my hip op in June, the physio signed me off in August and I now hike "
     "without trouble.", "red_flags.gait_disturbance"),
    ("Light-headed when I stood up too fast after the bath, fine after a second.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Back sore after the spin class, body hot from the sauna.",
     "red_flags.fever_or_unwell_with_spinal_pain"),
    ("Out of breath after making tea for the whole team and running up the stairs.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("Lower back ache that is the same sitting or standing, just my desk.",
     "red_flags.non_mechanical_or_thoracic_spinal_pain_unwell"),
])
def test_round_52_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # a question answered for the writer's own symptom still fires
    ("Is it normal my ankles are swollen every evening? I don't have it checked.",
     "acsm.signs_symptoms.ankle_oedema"),
    ("My chest hurts when I run uphill, is that normal? I have no heart problems.",
     "acsm.signs_symptoms.ischaemic_discomfort"),
    ("Unsteady on my feet since the physio signed me off, falling more each week.",
     "red_flags.gait_disturbance"),
])
def test_round_52_findings_beside_the_new_replies(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("I nearly blacked out getting out of the shower, probably just standing up too quickly.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Roofer, 61. Going up ladders my calves burn and go heavy, I rest and it stops.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("Woke at 3am unable to breathe, had to sit up on the edge of the bed.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("Went over on my ankle off the step this morning, four steps were impossible.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Weight bearing: ✗ (foot, injured at football an hour ago)",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Leg symptoms: L ✓ R ✓ (numbness and burning)", "red_flags.bilateral_leg_neuro_symptoms"),
    ("I haven't fully emptied my bladder since yesterday and my back is killing me.",
     "red_flags.bladder_dysfunction"),
    ("Since the back pain I no fit hold my poo again.", "red_flags.bowel_dysfunction"),
    ("> Fwd: Dad is sitting here with pain in his chest as we fill this in.",
     "red_flags.chest_pain_now"),
    ("My back dey pain me and body dey hot, I dey shiver.",
     "red_flags.fever_or_unwell_with_spinal_pain"),
    ("Mum has started staggering when she walks. Forwarding as she won't tell you herself.",
     "red_flags.gait_disturbance"),
    ("Wobbling about like a newborn foal since Monday and my back aches.",
     "red_flags.gait_disturbance"),
    ("Walking home I couldn't keep a straight line and my legs wouldn't do what I told them.",
     "red_flags.gait_disturbance"),
    ("Weakness: [x] arms [x] legs [ ] speech, over the last fortnight.",
     "red_flags.multilevel_limb_weakness"),
    ("Back pain in the middle all the time, no position changes it, and I feel sick and "
     "off my food.", "red_flags.non_mechanical_or_thoracic_spinal_pain_unwell"),
    ("Dad has osteoporosis and since Sunday terrible back pain, he can't get up. He's the "
     "client, I'm typing.", "red_flags.osteoporosis_with_new_severe_spinal_pain"),
    ("Grip in my left hand is worse than two weeks ago, can't do buttons, neck sore.",
     "red_flags.progressive_motor_deficit"),
    ("My back dey pain me and for two days my bum side no get feeling.",
     "red_flags.saddle_numbness"),
    ("Legs ache after every shift, but this week just my right calf is swollen and warm.",
     "red_flags.unilateral_calf_pain_swelling"),
    ("I've not slept properly for weeks, the pain in my back is there whatever position "
     "I'm in.", "red_flags.unremitting_night_pain"),
])
def test_round_53_misses(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("What's a heart murmur? The form asks and I've never been told.",
     "acsm.signs_symptoms.known_heart_murmur"),
    ("What does foot drop look like? The physio mentioned it.", "red_flags.acute_foot_drop"),
    ("If I felt chest pain on the treadmill, should I stop straight away?",
     "red_flags.chest_pain_now"),
    ("[ ] swollen joint [ ] fever [x] tired after long runs",
     "red_flags.hot_swollen_joint_with_fever"),
    ("[ ] arm weakness [ ] leg weakness [x] poor sleep", "red_flags.multilevel_limb_weakness"),
    ("I don't wake up short of breath and I can lie flat fine.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("Up to wee more since I started drinking two litres of water a day.",
     "red_flags.bladder_dysfunction"),
    ("Sore back and a temperature with flu last month, all cleared up now.",
     "red_flags.fever_or_unwell_with_spinal_pain"),
    ("Muscles feel weak all over because I haven't trained in years.",
     "red_flags.multilevel_limb_weakness"),
    ("Is it normal to get dizzy after a neck massage? Asking because my sister said it "
     "happened to her.", "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("Bum goes numb on long bike rides but it goes within minutes of getting off.",
     "red_flags.saddle_numbness"),
    ("My son dislocated his shoulder at rugby; I'm his dad, signing up myself.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Wobbly walking home from the pub, but that was the beer and I've been walking "
     "normally since.", "red_flags.gait_disturbance"),
])
def test_round_53_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # another thing resolved, a word asked about and then owned, a past event asked about,
    # the ticked boxes of a form whose unticked one comes last
    ("Temperature and back pain since yesterday, the rash has cleared up.",
     "red_flags.fever_or_unwell_with_spinal_pain"),
    ("What's a heart murmur? The GP says I have one.", "acsm.signs_symptoms.known_heart_murmur"),
    ("If I felt dizzy yesterday on the bike, should I stop?",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Weakness: [ ] face [x] arms [x] legs, worse each day.",
     "red_flags.multilevel_limb_weakness"),
    ("I'm her mum. Both her legs are weak and worse each day.",
     "red_flags.bilateral_leg_weakness_progressive"),
])
def test_round_53_findings_beside_the_new_rules(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # a denial denied, then said outright
    ("Can't say my ankles haven't been puffing up. They have, both, every evening.",
     "acsm.signs_symptoms.ankle_oedema"),
    ("Can't say I don't have numbness round my back passage, I do, since Monday.",
     "red_flags.saddle_numbness"),
    ("I would not say my leg weakness is not getting worse, it is: now it drags.",
     "red_flags.progressive_motor_deficit"),
    ("Cannot tell you I do not have stiffness in the mornings - I have it, over an hour, "
     "back pain for 6 months, age 30.", "red_flags.inflammatory_back_pain_features"),
    # other words
    ("Both my ankles are puffy by the evening, when I press a dent stays.",
     "acsm.signs_symptoms.ankle_oedema"),
    ("I stay without air only walking slowly to the shop.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("Woke at 2am gasping for air, not a bad dream, I was awake and had to sit up.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("Fell down the step, I cannot put the foot on the floor since.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("The left and the right both go numb since the back went.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("My legs, both of them, they have no more force, each day less.",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("Since yesterday I cannot make water, the bladder is full but it does not come.",
     "red_flags.bladder_dysfunction"),
    ("I do not feel any more when I must go to the toilet for stool, back pain since Friday.",
     "red_flags.bowel_dysfunction"),
    ("Me feet divvent gan where I put them since Tuesday, back's bad.",
     "red_flags.gait_disturbance"),
    ("lol not lol, my ankle is hot, swollen like a melon and I've a fever of 38.6.",
     "red_flags.hot_swollen_joint_with_fever"),
    ("Back pain and I have no more sensation during sex since last week.",
     "red_flags.sexual_dysfunction"),
    ("Since the back pain it is impossible to have an erection.",
     "red_flags.sexual_dysfunction"),
    ("Coach note: kneecap slid to the outside in the lunge and stayed there.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Collarbone has a lump in it since the fall and grinds when I lift my arm.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("It never stopped getting weaker, my left leg: first heavy, now it gives way.",
     "red_flags.progressive_motor_deficit"),
    ("Numb in the saddle area like after a long bike ride, but I haven't been on a bike, "
     "back pain.", "red_flags.saddle_numbness"),
])
def test_round_54_misses(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("I have never fainted and I don't get dizzy spells.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Weakness in arms or legs? Not that I'd notice.", "red_flags.multilevel_limb_weakness"),
    ("Numbness down below? Not that I'd notice, all normal.", "red_flags.saddle_numbness"),
    ("Do I need to worry about calf pain on walks? I don't have any, the leaflet just "
     "mentioned it.", "acsm.signs_symptoms.intermittent_claudication"),
    ("Would a hot swollen knee with a fever stop training? Just asking, mine are all fine.",
     "red_flags.hot_swollen_joint_with_fever"),
    ("Arms and legs weak and shaky after my first class in years, all good by the next day.",
     "red_flags.multilevel_limb_weakness"),
    ("Chest pain on Saturday, A&E did an ECG and blood tests, normal, they said reflux.",
     "red_flags.chest_pain_12_to_72h"),
    ("Hip aches at night after a long walk, eases with a pillow between my knees.",
     "red_flags.unremitting_night_pain"),
    ("What's a heart murmur? I've never been told I have one.",
     "acsm.signs_symptoms.known_heart_murmur"),
])
def test_round_54_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # a contracted "not" still reads only before a symptom word
    ("I don't get dizzy, but I do get chest pain on the stairs.",
     "acsm.signs_symptoms.ischaemic_discomfort"),
    ("Can't say why, but my ankles are swollen every evening.",
     "acsm.signs_symptoms.ankle_oedema"),
])
def test_round_54_findings_beside_the_new_rules(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Went down in the bathroom on Friday and came to on the tiles.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("My heart does a little tap dance most evenings, skipping about.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Mine races at 130 while I'm sitting on the sofa.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Since Tuesday I can't feel my bladder filling, and my back is bad.",
     "red_flags.bladder_dysfunction"),
    ("My walkin' has gone plumb sideways this week and my back aches.",
     "red_flags.gait_disturbance"),
    ("Fell off the stage at the gig, a good ten feet, back sore since.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("Paragliding landing went wrong, dropped about 6 metres onto my backside, back sore.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("My right leg's been gettin' weakah every day since Monday.",
     "red_flags.progressive_motor_deficit"),
    ("Back bad for a week and now I have no feeling when I sit on the toilet.",
     "red_flags.saddle_numbness"),
    ("Slipped on ice and my wrist looks like a dinner fork now.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Punched a door, knuckle sunk in and my hand is swollen.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Can I use the rower if both my legs and my left arm have gone weak this week?",
     "red_flags.multilevel_limb_weakness"),
    # relief within minutes of stopping is the exertional pattern, not a resolution
    ("New this month: my jaw and left arm ache when I walk up the hill, gone in a few "
     "minutes.", "acsm.signs_symptoms.ischaemic_discomfort"),
])
def test_round_55_misses(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("My knees murmur every time I squat, crunchy, no heart problems.",
     "acsm.signs_symptoms.known_heart_murmur"),
    ("Breathless nights with COVID last year, gone completely since, I sleep flat.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("Chest tight running in the cold because of my asthma, the inhaler fixes it.",
     "red_flags.exertional_chest_discomfort_relieved_by_rest"),
    ("Flu last week with a fever and an achy back, both gone, I feel well now.",
     "red_flags.fever_or_unwell_with_spinal_pain"),
])
def test_round_55_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # Scots, Irish and Northern English spellings read in the standard one
    ("Came aff ma bike on the dual carriageway yesterday, ma back's been murder since.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("Accident in me trousers this morning, never felt it coming.",
     "red_flags.bowel_dysfunction"),
    ("Went ower on ma ankle at the fitba, toes numb and cold since.",
     "red_flags.neurovascular_compromise_after_injury"),
    # a part that no longer does its work
    ("My bowels are not holding since my back went on Friday.",
     "red_flags.bowel_dysfunction"),
    ("My bladder is not holding since the back went.", "red_flags.bladder_dysfunction"),
    ("Since the back went my water works have gone wrong, can't get going.",
     "red_flags.bladder_dysfunction"),
    # weakness told day by day, both knees, someone else's legs
    ("Every morning my grip is weaker than the day before.",
     "red_flags.progressive_motor_deficit"),
    ("The strength in both my arms is slipping away.", "red_flags.progressive_motor_deficit"),
    ("MRC hip flexion 4/5 then 3/5 at today's review.", "red_flags.progressive_motor_deficit"),
    ("Knees keep buckling on both sides since the weekend.",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("My legs feel like they belong to someone else, both of them, worse each day.",
     "red_flags.bilateral_leg_weakness_progressive"),
    # the saddle told another way
    ("When I wipe it feels like someone else's bum. Back went on Monday.",
     "red_flags.saddle_numbness"),
    ("My nethers are numb since the back pain started.", "red_flags.saddle_numbness"),
    # a jaw out of place, a pulse named by its artery, a joint out of joint
    ("Yawned and my jaw went out of place, I can't close my mouth.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Foot cold, no DP pulse.", "red_flags.neurovascular_compromise_after_injury"),
    ("Shoulder out of joint since yesterday, hand gone cold and white.",
     "red_flags.neurovascular_compromise_after_injury"),
    # coming to on the floor, a head gone light, a heart tripping, sleeping in a chair
    ("Came to on the kitchen floor with a bump on my head, not sure what happened.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("My head gets so light when I bend over at work, nearly dropped a tray.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("My ticker keeps tripping over itself at night.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Slept sitting in the armchair all week, bed is no good anymore.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    # an ankle giving way at the first step, crawling; the floor walked at night; a tug
    ("Twisted ankle at football, crawled to the loo this morning.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Rolled my ankle on the kerb, it gives way at the first step.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Up walking the floor in the small hours, back's roaring.",
     "red_flags.unremitting_night_pain"),
    ("Yanked the starter cord and something popped in the middle of my back, agony.",
     "red_flags.sudden_central_pain_after_minor_trauma"),
])
def test_round_56_misses(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # "me" after a verb that takes it is the object, not "my"
    ("Please ring me back about the back class, no pain at all.",
     "red_flags.new_onset_spinal_pain"),
    ("Call me back if the knee class is full.", "red_flags.suspected_fracture_or_dislocation"),
    ("My bowels are not a problem, all normal.", "red_flags.bowel_dysfunction"),
    ("The water works on the high street closed the road, I was late.",
     "red_flags.bladder_dysfunction"),
    ("My knees are not buckling any more, both sides feel strong now.",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("Jaw was out of place years ago after a punch, fine since.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Lost a bit of strength in my legs after the holiday, back to normal now.",
     "red_flags.progressive_motor_deficit"),
    ("Power in the gym shower was off, ower cold.",
     "red_flags.neurovascular_compromise_after_injury"),
    ("Walking the floor at night with the baby, back a bit stiff.",
     "red_flags.unremitting_night_pain"),
    ("Baby crawling to the kitchen now, I chase her all day, ankles fine.",
     "red_flags.ankle_injury_cannot_bear_weight"),
])
def test_round_56_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


# Round 56, a second pass (2026-12-07 afternoon): a test not done again, kin in Irish and
# Northern English, a likeness, a pain score as severity, a day named as the worsening,
# and parts told in sentences of their own. Every miss fails on 9524d1b; the look-alikes
# guard the new words.
@pytest.mark.parametrize("text, flag", [
    # a test not done again is not the problem gone
    ("Known heart murmur since school, no scan since.", "acsm.signs_symptoms.known_heart_murmur"),
    # a ferry named as a likeness, a near fall to the floor
    ("Head goes swimmy when I get up, like being on a ferry.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Came over all strange at the sink and nearly hit the floor.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    # lying flat told apart from the breath by a clause; propped right up
    ("Lying down flat feels like a weight on my ribs, and then I can't get my breath.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("I prop myself right up at night so I can breathe.", "acsm.signs_symptoms.orthopnoea_or_pnd"),
    # shoes that will not go on by dinner time
    ("Can't get my shoes on by dinner time any more.", "acsm.signs_symptoms.ankle_oedema"),
    # steroid tablets, not an inhaler
    ("On prednisolone, tablets not an inhaler, for a year. New back pain since Monday.",
     "red_flags.prolonged_corticosteroids_with_new_back_pain"),
    # a pain score as the severity, beside a bone-thinning drug
    ("On alendronate for thin bones. Reached for the kettle, back pain 8/10 now.",
     "red_flags.osteoporosis_with_new_severe_spinal_pain"),
    # no change to diet or exercise, told in a list before the loss
    ("Belt's gone in two notches since March, no diet, no exercise change, just dropping weight.",
     "red_flags.unexplained_weight_loss"),
    # an ankle turned, then a step it will not take
    ("Ankle turned stepping off the bus. It gave way after one step this morning.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    # a joint huge and burning, the fever in the next sentence
    ("Elbow huge and burning. Fever since last night.", "red_flags.hot_swollen_joint_with_fever"),
    # the legs heavy in a sentence of their own
    ("Dropping cups, fingers clumsy. Legs heavy on the stairs as well.",
     "red_flags.multilevel_limb_weakness"),
    # a pain that cares for no position, unwell in the next sentence
    ("Back pain that doesn't care if I sit or stand, it's just there. Lost my appetite.",
     "red_flags.non_mechanical_or_thoracic_spinal_pain_unwell"),
    # morning stiffness until moved about for an hour
    ("My back aches every night, and in the morning I cannot bend until I've moved about "
     "for an hour.",
     "red_flags.inflammatory_back_pain_features"),
    # never before, in the words of a learner of English
    ("Never before pain in back. Now three weeks pain low back.",
     "red_flags.first_episode_axial_back_pain"),
    # worse by the day named
    ("Right hand a bit weak on Sunday, by Wednesday I couldn't grip a pen.",
     "red_flags.progressive_motor_deficit"),
    # legs like lead after a short walk, eased by a rest
    ("Calves like lead after a short walk, I stand for a minute and go again.",
     "acsm.signs_symptoms.intermittent_claudication"),
    # a heave, something giving in the centre of the spine
    ("Heaved the mower into the van and felt something give in the centre of my spine.",
     "red_flags.sudden_central_pain_after_minor_trauma"),
    # two weights a season apart, the later lower; weight lost while eating as always
    ("I weighed 80 kg at Easter and 74 kg now, not trying.", "red_flags.unexplained_weight_loss"),
    ("The bathroom scale shows 61 kg, at Christmas I was 67.",
     "red_flags.unexplained_weight_loss"),
    ("I lose the weight, 5 kg from June, and I eat like always.",
     "red_flags.unexplained_weight_loss"),
    ("My wife says I become thin, 6 kilos since spring. I don't know why.",
     "red_flags.unexplained_weight_loss"),
    # the client as a baby is the client
    ("I was told as a baby that I had a heart murmur, never checked since.",
     "acsm.signs_symptoms.known_heart_murmur"),
    # double vision told as two of everything, after a neck injury in another sentence
    ("Hurt my neck in a tackle yesterday. Since then I'm seeing two of everything.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("Bit of whiplash on Saturday. Now the telly's doubled when I look up.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
])
def test_round_56_second_pass_misses(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # kin and mates in Irish and Northern English are someone else
    ("Me da has the chest pains, not me, I'm grand.", "red_flags.chest_pain_now"),
    ("Our mam's knee is hot and swollen with a temp, I'm booking for myself.",
     "red_flags.hot_swollen_joint_with_fever"),
    ("Mate fainted at the match, I'm fine.", "acsm.signs_symptoms.dizziness_or_syncope"),
    # sorted now, long sorted, fixed
    ("Dizzy spells last year were my ears, sorted now.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Knee gave way a lot in my twenties but that's long sorted.", "red_flags.gait_disturbance"),
    ("Back pain at night last spring, a new mattress fixed it.",
     "red_flags.unremitting_night_pain"),
    # "almost fell" is a trip, not a faint; heavy arms after lifting; legs right again
    ("Almost fell over the dog this morning, all fine.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Arms heavy after the bench session, legs fine.", "red_flags.multilevel_limb_weakness"),
    ("Legs like jelly after leg day, fine again by Friday.",
     "red_flags.progressive_motor_deficit"),
    # an inhaler alone is not long-term steroid tablets; a diet is a reason
    ("Steroid inhaler for asthma for years. New back ache since I moved house.",
     "red_flags.prolonged_corticosteroids_with_new_back_pain"),
    ("Lost 6 kg since January on a diet, no exercise change.",
     "red_flags.unexplained_weight_loss"),
    # two weights, the later higher or less than 5 % lower
    ("I weighed 70 kg in March and 78 kg now.", "red_flags.unexplained_weight_loss"),
    ("The scale shows 76 kg, in the summer I was 68.", "red_flags.unexplained_weight_loss"),
    ("I weighed 80 kg at Easter and 79 kg now.", "red_flags.unexplained_weight_loss"),
    # a baby of the client's is someone else
    ("My baby has a heart murmur, the paediatrician is watching it.",
     "acsm.signs_symptoms.known_heart_murmur"),
    # a denial after waking, pillows for the neck or back, stairs climbed with no fall
    ("I wake up some nights from my partner's snoring, no breathlessness at all.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("I use two pillows because of my back, not my breathing.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("Back aching after lugging the pram up two flights of stairs, nae fall.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("Back sore from carrying boxes up three flights of stairs, no fall, no accident.",
     "red_flags.major_trauma_with_spinal_pain"),
    # sick with a bug beside a neck slept on badly
    ("Neck stiff from sleeping funny. Feeling sick with a tummy bug.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
])
def test_round_56_second_pass_look_alikes_stay_quiet(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # the client's own findings beside the new rules
    ("Nothing fixed it, back pain at night still wakes me.", "red_flags.unremitting_night_pain"),
    ("Tablets fixed it for a while but the night pain in my back is back.",
     "red_flags.unremitting_night_pain"),
    ("Writing for my mam: she has a crushing chest pain right now.", "red_flags.chest_pain_now"),
    ("Writing for my da: his calves cramp after a short walk and ease when he stands.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("Shoulder came out of joint at rugby, arm dead, can't feel my hand.",
     "red_flags.neurovascular_compromise_after_injury"),
    ("Mam osteoporozę - new severe back pain since 3 days.",
     "red_flags.osteoporosis_with_new_severe_spinal_pain"),
    ("Fell down the full flight of stairs yesterday, back pain since.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("Tumbled down a flight of stairs at work, neck pain since.",
     "red_flags.major_trauma_with_spinal_pain"),
    ("Cannae lift ma arm above ma heid, it's just nae working since the neck went.",
     "red_flags.major_motor_loss"),
])
def test_round_56_second_pass_findings_beside_the_new_rules(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # "strong" after a feeling says how bad it is, not that all is well
    ("I have chest pain strong now.", "red_flags.chest_pain_now"),
    ("My chest pain is strong, going to my left arm.", "red_flags.chest_pain_now"),
    ("The pain in my chest is strong right now and I sweat.", "red_flags.chest_pain_now"),
    ("An hour ago my chest was squeezing strong and my arm went heavy.",
     "red_flags.chest_pain_last_12h"),
    ("Back pain strong since last week, I take prednisolone tablets for two years.",
     "red_flags.new_onset_spinal_pain"),
])
def test_a_feeling_told_strong_is_current(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # "strong" after a part or a function is still a reply
    ("My legs weak? no, legs strong.", "red_flags.bilateral_leg_weakness_progressive"),
    ("Grip strong, arms strong, no weakness.", "red_flags.multilevel_limb_weakness"),
    ("Legs are strong, no numbness.", "red_flags.bilateral_leg_neuro_symptoms"),
    ("Heartbeat strong and regular, no palpitations.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Pulses strong both feet, sensation intact.",
     "red_flags.neurovascular_compromise_after_injury"),
    ("Back feels strong now, no pain.", "red_flags.new_onset_spinal_pain"),
])
def test_strong_after_a_part_stays_a_reply(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # "X - no, ..." that corrects a detail is not a reply to X
    ("Left calf - no, RIGHT, I mix them up - swollen, hot and sore to walk on since the "
     "flight.", "red_flags.unilateral_calf_pain_swelling"),
    ("Night pain began - no, it's been three weeks now - and no position helps, every night.",
     "red_flags.unremitting_night_pain"),
    ("Chest pain - no, sorry, chest tightness - since this morning, still there.",
     "red_flags.chest_pain_now"),
    ("Numb between my legs - no, I mean around my bottom - since yesterday.",
     "red_flags.saddle_numbness"),
])
def test_a_writer_correcting_a_detail_is_not_a_reply(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # "X - no, ..." that denies X stays a reply
    ("Calf swelling - no, all good.", "red_flags.unilateral_calf_pain_swelling"),
    ("Night pain - no, it's been fine for years.", "red_flags.unremitting_night_pain"),
    ("Chest pain - no, the left knee is what hurts.", "red_flags.chest_pain_now"),
    ("Chest pain - no, only my knee hurts after running.", "red_flags.chest_pain_now"),
    ("Chest pain - no, sorry, I misread the question, no chest pain at all.",
     "red_flags.chest_pain_now"),
    ("Back pain at night - no, just stiff in the mornings.", "red_flags.unremitting_night_pain"),
])
def test_a_reply_of_no_then_more_words_stays_a_reply(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 57, tuned on: a staff note is what staff saw, not a heading over guidance
    ("Staff note: client reports low back pain with tingling down both legs into both "
     "feet since Tuesday.", "red_flags.bilateral_leg_neuro_symptoms"),
    ("Staff note: member on the bike with sudden weakness in the left arm and the left "
     "side of the mouth drooping.", "red_flags.sudden_stroke_signs"),
    # a dropped g, "can not" and "could not" read as the words they are
    ("Me legs are goin' from under me, both of them, and it's worse every day.",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("Twisted my ankle at five-a-side last night. I can not step on it, not even two steps.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Client could not rise from the bench without arms, both legs buckling, worse each day.",
     "red_flags.bilateral_leg_weakness_progressive"),
    # new words: a neck hurt then dizzy in the next sentence, staggering about lately,
    # the g-dropped and the watch's readings, effort that now finishes the day
    ("I ricked my neck at the gym on Friday. Since then I get dizzy spells.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("I stagger about like I'm on a ship. It started a week ago and it's worse every day.",
     "red_flags.gait_disturbance"),
    ("Watch says resting 118 today and it feels like it's racing, no coffee.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Carrying the shopping to the car leaves me puffing, which is new.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("Hoovering the lounge now finishes me for the day; I used to do the whole house.",
     "acsm.signs_symptoms.unusual_fatigue_or_dyspnoea"),
    ("Half a stone gone since September and I've not been dieting.",
     "red_flags.unexplained_weight_loss"),
    ("My kneecap popped out to the side at netball and the knee won't straighten.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Since yesterday I can't point my right foot down at all.", "red_flags.major_motor_loss"),
])
def test_round_57_tuned_on(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # a question about the words in general, answered "not me", is not a mention
    ("Is night pain a red flag? Our tutor mentioned it on the course.",
     "red_flags.unremitting_night_pain"),
    ("Could numbness in both legs come from spinning? Just curious, I'm fine myself.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("Would a heart murmur stop someone joining? I don't have one.",
     "acsm.signs_symptoms.known_heart_murmur"),
    # look-alikes of the new words
    ("Staff note: if a client reports saddle numbness, call 999.", "red_flags.saddle_numbness"),
    ("Resting 120 seconds between sets of squats.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Lifting heavy at the gym leaves me puffing, which is the point.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("A 10k run now finishes me for the day, I used to do two back to back.",
     "acsm.signs_symptoms.unusual_fatigue_or_dyspnoea"),
    ("We were staggering about laughing after the wedding last week.",
     "red_flags.gait_disturbance"),
    ("I hurt my neck at rugby last year. I get dizzy if I stand up too fast.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("Rolled my ankle, I can walk on it fine and can manage more than one step.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("It's more 'pain' than 'ache' in my shin after running.", "red_flags.chest_pain_now"),
    ("Rowing session: both arms went heavy from fatigue, recovered after a rest.",
     "acsm.signs_symptoms.ischaemic_discomfort"),
])
def test_round_57_look_alikes(text: str, flag: str) -> None:
    assert flag not in flags(text)


_PRESENT_COMPLAINTS = [
    ("chest pain since this morning", "red_flags.chest_pain_now"),
    ("saddle numbness since Tuesday", "red_flags.saddle_numbness"),
    ("my face has been drooping on the left since lunch", "red_flags.sudden_stroke_signs"),
    ("my right calf is hot, swollen and painful since yesterday",
     "red_flags.unilateral_calf_pain_swelling"),
    ("both my legs are getting weaker every day this week",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("wetting myself without feeling it since my back went on Monday",
     "red_flags.bladder_dysfunction"),
    ("crushing pressure in my chest right now", "red_flags.chest_pain_now"),
]
_DATED_OTHER = ["the MRI last year was clear", "the ECG in 2022 was normal",
                "the scan two years ago showed nothing", "bloods in 2021 were fine",
                "the back pain from 2019 settled with physio",
                "the X-ray last summer was clear and it healed", "the flare in 2020 resolved",
                "an echo three years ago was normal"]


def _assert_read_beside(complaint: str, flag: str, others: list[str]) -> None:
    """The complaint is read beside each other clause, joined before it and after it."""
    for other in others:
        for text in (f"{complaint}, {other}.", f"{other}, {complaint}."):
            assert flag in flags(text), text


@pytest.mark.parametrize("complaint, flag", _PRESENT_COMPLAINTS)
def test_a_test_or_episode_dated_before_a_present_complaint_is_its_own_topic(
        complaint: str, flag: str) -> None:
    """A complaint told in the present beside a test or an episode dated before it: the
    date and the all-clear are that test's ("Chest pain since this morning, the ECG in 2022
    was normal" was read as resolved: 60 of these 128 missed before)."""
    _assert_read_beside(complaint, flag, _DATED_OTHER)


@pytest.mark.parametrize("text, flag", [
    # the complaint told in the past, or the test its own: still over
    ("Chest pain in 2019, the ECG in 2019 was normal, none since.", "red_flags.chest_pain_now"),
    ("Saddle numbness in 2020, the MRI in 2020 was clear and it went.",
     "red_flags.saddle_numbness"),
    ("My calf was swollen and red in 2021, the scan in 2021 showed no clot, healed.",
     "red_flags.unilateral_calf_pain_swelling"),
    ("Face drooped for a day in 2018, the MRI in 2018 was clear, no problems since.",
     "red_flags.sudden_stroke_signs"),
    ("Nurse thought she heard a murmur at my work medical, but the echo last spring was "
     "completely normal.", "acsm.signs_symptoms.known_heart_murmur"),
])
def test_a_complaint_investigated_and_over_stays_over(text: str, flag: str) -> None:
    assert flag not in flags(text)


_PASSING_ILLNESS = ["my cold has gone", "the rash on my arm cleared up",
                    "my knee pain settled with physio", "the cough is much better now",
                    "my headache went after paracetamol", "the sore throat has resolved",
                    "my shoulder is fine now", "the tummy bug passed"]


@pytest.mark.parametrize("complaint, flag", _PRESENT_COMPLAINTS)
def test_a_passing_illness_over_beside_a_present_complaint_is_its_own_topic(
        complaint: str, flag: str) -> None:
    """"Saddle numbness since Tuesday, the cough is much better now": the cough is over,
    not the numbness (10 of these 112 missed before)."""
    _assert_read_beside(complaint, flag, _PASSING_ILLNESS)


@pytest.mark.parametrize("text, flag", [
    ("Chest tightness last week with a chest infection, the cough is better now and no "
     "tightness since.", "red_flags.chest_pain_now"),
    ("Dizzy with a tummy bug in March, the bug passed and no dizziness since.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
])
def test_a_complaint_with_the_illness_that_passed_stays_over(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # round 58, tuned on: a hedge ("just in case", "if applicable") is not a what-if
    ("Telling you just in case: lower back pain since Sunday and I can't feel myself "
     "when I wipe.", "red_flags.saddle_numbness"),
    ("Tick if applicable: [x] steroid tablets for over 3 months [x] new low back pain "
     "since Monday.", "red_flags.prolonged_corticosteroids_with_new_back_pain"),
    # a byline that names a parent or a flatmate: the one written about is the client
    ("Parent writing: my daughter crushed her hand in the car door this morning and her "
     "fingers are cold and white.", "red_flags.neurovascular_compromise_after_injury"),
    ("Writing for my flatmate: he punched the wall, the hand swelled and his fingers "
     "are numb and blue.", "red_flags.neurovascular_compromise_after_injury"),
    # long-term steroids are immunosuppression too (rules table RF-2)
    ("Prednisolone 15 mg daily since the summer. New low back pain since Monday.",
     "red_flags.immunosuppression_with_new_spinal_pain"),
    # a form answered yes, the places in the next sentence
    ("Weakness? Yes. Both arms and both legs, since the weekend.",
     "red_flags.multilevel_limb_weakness"),
    ("Loss of consciousness: twice this month I lose consciousness for a moment.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Any trouble controlling your bowels? Yes, since my back went last week.",
     "red_flags.bowel_dysfunction"),
    ("Back pain since Friday and I have not had a proper wee since last night.",
     "red_flags.bladder_dysfunction"),
    ("Calves feel squeezed in a vice after 300 yards of walking; stopping sorts it.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("Rolled it on the trail on Sunday. Still can't bear weight today.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Twisted my ankle at netball. Can't do more than a step without help.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Site: the 5th metatarsal, outer edge of the foot. Hurts a lot to press. Since a "
     "fall on Tuesday.", "red_flags.ankle_or_midfoot_bone_tenderness"),
    ("Fell on an outstretched hand skiing, wrist swollen and tender on the thumb side.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Sore back since the weekend and my feet have gone to sleep, both of them, since "
     "yesterday.", "red_flags.bilateral_leg_neuro_symptoms"),
    ("Low back pain since Friday and sex feels completely different, numb down there.",
     "red_flags.sexual_dysfunction"),
    # a comparison is what a feeling is like, not its cause
    ("Back pain and both legs tingle like when you've knelt too long, and it won't stop.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("Leg weakness has gone from barely there to my knee giving way over three days.",
     "red_flags.progressive_motor_deficit"),
    # a chest-wall cause does not excuse a different pain told after "but now"
    ("Chest wall sore when I press it after the fall, but now crushing pain at rest with "
     "sweating for an hour.", "red_flags.chest_pain_now"),
])
def test_round_58_tuned_on(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # a clinician's "should <finding> develop": the verb after the words
    ("Plan: stop and call 999 should chest or arm pain develop in the session.",
     "red_flags.chest_pain_now"),
    ("Should new back pain develop on methotrexate, stop and ring the surgery.",
     "red_flags.immunosuppression_with_new_spinal_pain"),
    ("Retest power next week; should it fall below 3/5, refer the same day.",
     "red_flags.major_motor_loss"),
    # what came back, an episode treated, a time of fine
    ("My fingers went numb after the dumbbell landed on my hand, but feeling and colour "
     "came back within a minute.", "red_flags.neurovascular_compromise_after_injury"),
    ("Sciatica down both legs in 2021, but it cleared after physio.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("Couldn't walk on my ankle after the sprain in June but it's been fine for months.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Chest pain two yrs ago, checked, nothing found, none since.", "red_flags.chest_pain_now"),
    ("Came off the bottom step, landed on my feet, back is grand.",
     "red_flags.major_trauma_with_spinal_pain"),
    # boxes left empty, a word or two before the words
    ("[ ] chest pain [ ] dizziness [ ] back pain", "rf4.musculoskeletal_pain"),
    # look-alikes of the new words
    ("Mentioning just in case: my dad had a stroke at 70.", "red_flags.sudden_stroke_signs"),
    ("I rolled it over in my head all night. Can't walk on my knee after the op, on "
     "crutches as planned.", "red_flags.ankle_injury_cannot_bear_weight"),
    ("Sex feels great since I lost weight, and the back is better too.",
     "red_flags.sexual_dysfunction"),
    ("Injury: no. Site: n/a. Ankle bone fine. Tender to press: no.",
     "red_flags.ankle_or_midfoot_bone_tenderness"),
    ("Both my legs tingle after I've sat cross-legged too long, gone when I stand.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("The pain in my knee has gone from mild to severe after the match.",
     "red_flags.progressive_motor_deficit"),
    ("Twisted my ankle, tender in the soft hollow in front of the ankle, the bone itself "
     "isn't sore.", "red_flags.ankle_or_midfoot_bone_tenderness"),
    ("My calves cramp in bed at night, never when I'm walking, walking is fine.",
     "acsm.signs_symptoms.intermittent_claudication"),
    ("Slept propped up after my knee op for the swelling, nothing to do with breathing.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("Had chest pain this morning, A&E did two troponins, both normal, diagnosed reflux "
     "and discharged.", "red_flags.chest_pain_last_12h"),
])
def test_round_58_look_alikes(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # the partly tuned rounds' under-triaged texts, in other words: an activity asked
    # about is not the cause of what follows; pillows to breathe; "went over on" the
    # box with the ankle unnamed; "jiggered"
    ("Can I still do the spin class? My back hurts and both legs are numb since Sunday.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("Lately I have to sleep on three pillows to breathe.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("Went over on the step at the station, can't put it down at all since.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Proper jiggered after the weekly shop lately, never used to be.",
     "acsm.signs_symptoms.unusual_fatigue_or_dyspnoea"),
])
def test_partly_tuned_under_triage_fixed(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Both legs tingle after the spin class, gone within minutes. Can I still do the class?",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("I use two pillows because I like reading in bed.",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
])
def test_partly_tuned_under_triage_look_alikes(text: str, flag: str) -> None:
    assert flag not in flags(text)


def test_a_hedge_is_not_the_words_of_a_new_pain() -> None:
    """"just" is "new" in "just started", not in "just in case": the words staff review
    are the pain's own."""
    found, _ = free_text.read("Mentioning it just in case: low back pain since Friday.",
                              as_of=dt.date(2026, 12, 1))
    words = {m.words for m in found if m.flag == "red_flags.new_onset_spinal_pain"}
    assert words == {"low back pain since Friday"}


@pytest.mark.parametrize("text, flag", [
    # round 59 (partly tuned), in other words: a formal request is not a what-if; "please
    # be advised" tells; translation-app and phonetic wording; a diary's numbers
    ("I should be obliged if the trainer would note that I am on chemotherapy and that a "
     "new pain in my lower back began last week.",
     "red_flags.immunosuppression_with_new_spinal_pain"),
    ("Please be advised that the member injects drugs and reports new back pain for four "
     "days.", "red_flags.immunosuppression_with_new_spinal_pain"),
    ("I should be obliged if your staff were made aware that a pressing discomfort comes "
     "under my breastbone when I carry the shopping up the hill.",
     "acsm.signs_symptoms.ischaemic_discomfort"),
    ("Since last week my walking is not secure, I trip on nothing.",
     "red_flags.gait_disturbance"),
    ("For ten days I walk with the legs open wide for not falling.",
     "red_flags.gait_disturbance"),
    ("Pain at the nape and I see two of everything since this morning.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("Stiffness in the morning, 90 mins. Low back pain for six months, age 26.",
     "red_flags.inflammatory_back_pain_features"),
    ("I am weeker in my shoulders and thies, cannot raise my arms or get up off the floor, "
     "started last month.", "red_flags.multilevel_limb_weakness"),
    ("I take cortisone pills every day since 3 years. New low back pain since Monday.",
     "red_flags.prolonged_corticosteroids_with_new_back_pain"),
    ("Nummness around my back passage since my low back went on Tuesday.",
     "red_flags.saddle_numbness"),
    ("Scale showed 58 kg today, in spring it said 64. Nothing changed in my eating, it just "
     "keeps dropping.", "red_flags.unexplained_weight_loss"),
    ("My right calf is more thick than the left by two fingers and it burns when I press, "
     "since the flight.", "red_flags.unilateral_calf_pain_swelling"),
    ("Last week I lost the knowledge at the bus stop and woke on the floor.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("When I stand up fast everything becomes black in the eyes, several times this week.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("In the spin class I fainted myself, I was not breathing fast.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("The head gives me turns when I bend down for the washing.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("My breath is cutting even when I sit on the sofa.",
     "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion"),
    ("I lack air when I do the things of the house, cooking and cleaning.",
     "acsm.signs_symptoms.unusual_fatigue_or_dyspnoea"),
    ("A heart murmur since childhood, never fully sorted; the GP still hears it.",
     "acsm.signs_symptoms.known_heart_murmur"),
    ("Heart racing most evenings at rest, and my blue inhaler makes no difference.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("My ankle turned on the kerb and I could not put my foot down after.",
     "red_flags.ankle_injury_cannot_bear_weight"),
    ("Low back pain and both legs burning like fire since Friday.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("Finger at a wierd angel after the catch, cannot bend it, swollen.",
     "red_flags.suspected_fracture_or_dislocation"),
    ("Sciatica in both legs, it went away but now it's back.",
     "red_flags.bilateral_leg_neuro_symptoms"),
])
def test_round_59_tuned_on(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    # ... and their look-alikes: normal readings, denials after the words, a table row
    # headed by someone else, a question asked for a relative, a relief, a cause
    ("Resting pulse 58, blood pressure 121/79, no palpitations.",
     "acsm.signs_symptoms.palpitations_or_tachycardia"),
    ("Knee swollen after rugby, not hot, temperature 36.8 this morning.",
     "red_flags.hot_swollen_joint_with_fever"),
    ("Ankle sprain on Saturday. Bony points checked, nothing tender.",
     "red_flags.ankle_or_midfoot_bone_tenderness"),
    ("Partner | breathless lying flat | cardiology booked; Me | no symptoms",
     "acsm.signs_symptoms.orthopnoea_or_pnd"),
    ("Partner | chest pain 3 days ago | seen in A&E, fine; Me | never had chest pain",
     "red_flags.chest_pain_12_to_72h"),
    ("The client's wife, who came with him, has felt unwell with pain in her upper back; he "
     "reports no symptoms.", "red_flags.non_mechanical_or_thoracic_spinal_pain_unwell"),
    ("Does a murmur stop someone doing HIIT? Asking for my dad, we're both fine.",
     "acsm.signs_symptoms.known_heart_murmur"),
    ("Ought one to rest should one feel unwell with back pain?",
     "red_flags.fever_or_unwell_with_spinal_pain"),
    ("Back pain on long-term steroids was checked, scans normal, and I have been pain free "
     "since.", "red_flags.prolonged_corticosteroids_with_new_back_pain"),
    ("Arms sore and legs weak since the marathon on Sunday.",
     "red_flags.multilevel_limb_weakness"),
    ("My shoulders ache from the bench press and my legs are weak after leg day.",
     "red_flags.multilevel_limb_weakness"),
    ("Sciatica in both legs last year; after the injection it went away.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("Sciatica in both legs last year, it went away, now it's back to normal walking.",
     "red_flags.bilateral_leg_neuro_symptoms"),
    ("Back aches at night lying on my front, turning onto my side gives immediate relief.",
     "red_flags.unremitting_night_pain"),
    ("Light headed only when I breathe too much fast in the sprint, then it passes.",
     "acsm.signs_symptoms.dizziness_or_syncope"),
    ("Trying to lose weight for the wedding, it keeps dropping slowly with the walking.",
     "red_flags.unexplained_weight_loss"),
    ("Since I woke from my nap one side of my face is drooping.",
     "red_flags.neck_pain_or_trauma_with_neuro_symptoms"),
    ("Calves burning on the stairs, legs feel thicker from all the squats.",
     "red_flags.unilateral_calf_pain_swelling"),
])
def test_round_59_look_alikes(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize("text, flag", [
    # partly tuned misses, in other words: a question whether to train with weak limbs;
    # a denied benign cause; both legs worse told in the next sentence
    ("Can I still use the rowing machine if both my legs and my left arm have gone weak "
     "this week?", "red_flags.multilevel_limb_weakness"),
    ("Not unfit at all - both hands weak and both legs heavy and weak for a fortnight.",
     "red_flags.multilevel_limb_weakness"),
    ("Legs very weak now, both sides. Getting more bad every day.",
     "red_flags.bilateral_leg_weakness_progressive"),
    ("Both legs like jelly this morning. It's worse than yesterday.",
     "red_flags.bilateral_leg_weakness_progressive"),
])
def test_partly_tuned_weak_limbs_read_now(text: str, flag: str) -> None:
    assert flag in flags(text)


@pytest.mark.parametrize("text, flag", [
    ("Weak legs from squats and both shoulders sore after the bench press.",
     "red_flags.multilevel_limb_weakness"),
    ("Both feet ache after the run, hands weak from the rope climb.",
     "red_flags.multilevel_limb_weakness"),
    ("Arms and legs weak, I'm just unfit after the winter.",
     "red_flags.multilevel_limb_weakness"),
    ("Both legs like jelly after leg day. It's worse than last week's session.",
     "red_flags.bilateral_leg_weakness_progressive"),
])
def test_partly_tuned_weak_limbs_look_alikes(text: str, flag: str) -> None:
    assert flag not in flags(text)
