"""DEC-2 second model: body part x sensation x trigger combinations (free_text_compose).

Each case is read by ``free_text.read`` (both models) and, where it says so, checked to
be found by the compositional model itself, so a word-list change cannot hide a broken
combination rule.
"""

from __future__ import annotations

import datetime as dt

import pytest

from inscope_clinical import free_text
from inscope_clinical import free_text_compose as compose

AS_OF = dt.date(2026, 12, 1)


def flags(text: str) -> set[str]:
    return {m.flag for m in free_text.read(text, as_of=AS_OF)[0]}


def compose_flags(text: str) -> set[str]:
    """What the compositional model alone finds (the word lists switched off)."""
    lex = free_text.lexicon()
    found: list[free_text.Mention] = []
    aside: list[dict[str, str]] = []
    norm = free_text._normalise(text)
    for offset, sentence in free_text._sentences(norm):
        free_text._compositional(
            lex,
            sentence,
            offset,
            AS_OF.year,
            set(),
            found,
            aside,
            "notes",
            lambda lo, hi: (norm[lo:hi], lo, hi),
        )
    return {m.flag for m in found}


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("aching", "ach"),
        ("aches", "ach"),
        ("ache", "ach"),
        ("ached", "ach"),
        ("tingling", "tingl"),
        ("tingles", "tingl"),
        ("swelling", "swel"),
        ("swell", "swel"),
        ("running", "run"),
        ("runs", "run"),
        ("tightness", "tight"),
        ("can't", "cant"),
        ("legs", "leg"),
        ("stress", "stres"),
        ("dizziness", "dizzy"),
        ("38", "38"),
    ],
)
def test_stem(word: str, stem: str) -> None:
    assert compose.stem(word) == stem


EXERTIONAL = "red_flags.exertional_chest_discomfort_relieved_by_rest"


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("when I walk up the hill to work my jaw starts to ache and I have to stop", EXERTIONAL),
        (
            "walking to the station my chest goes tight and I have to stand still till it passes",
            EXERTIONAL,
        ),
        (
            "left arm goes achy and heavy walking up the hill to work, better when I stop",
            EXERTIONAL,
        ),
        ("lost control of my bladder twice this week", "red_flags.bladder_dysfunction"),
        ("I've shed about a stone and I haven't been trying", "red_flags.unexplained_weight_loss"),
        ("dropped 5kg in 6 weeks, no change to eating", "red_flags.unexplained_weight_loss"),
        ("tingling between my legs since yesterday", "red_flags.saddle_numbness"),
        (
            "temperature of 38.5 and a new pain in my lower back",
            "red_flags.fever_or_unwell_with_spinal_pain",
        ),
        ("the front of my right foot flops down with each step", "red_flags.acute_foot_drop"),
        ("awake all night with the pain, whatever position", "red_flags.unremitting_night_pain"),
        (
            "swelling in one calf and it's tender to touch",
            "red_flags.unilateral_calf_pain_swelling",
        ),
    ],
)
def test_combinations_found_by_the_compositional_model(text: str, flag: str) -> None:
    assert flag in compose_flags(text)
    assert flag in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "no chest pain when I walk up hills",  # negation before
        "chest tightness when walking uphill? no",  # a question answered no
        "if your jaw aches on the stairs, stop and call 999",  # conditional
        "dad gets chest pain on hills and has to stop",  # someone else
        "jaw ached walking uphill in 2015, investigated, nothing found",  # past, resolved
        "chest sore after bench press yesterday",  # benign context
        "lost 10 kg on slimming world, really pleased",  # not unexplained
        "trying to lose weight, no idea why it's so hard",  # a goal, not a loss
        "numb bum after a long bike ride, goes when I get off",  # benign context
        "both legs like jelly after leg day",  # benign context
        "dropped a dumbbell on my foot last week",  # not foot drop
        "I'm 40 and my back aches after golf",  # an age is not a fever
        "temperature normal, back stiff after gardening",
        "what should I do if my chest hurts on hills?",  # a question about a what-if
    ],
)
def test_traps_fire_nothing_of_the_combination(text: str) -> None:
    assert not compose_flags(text)


def test_one_word_never_counts_for_two_categories() -> None:
    """'breathe hard' is breathlessness; its 'hard' is not also 'hardly' (mild effort)."""
    assert "acsm.signs_symptoms.dyspnoea_rest_or_mild_exertion" not in compose_flags(
        "breathe hard on the assault bike"
    )


def test_window_limits_the_combination() -> None:
    near = "my bladder leaks"
    far = (
        "my bladder is fine and I went to the shops and bought bread, milk, eggs and "
        "some fruit and then I had a leak"
    )
    comp = compose.compiled()
    rule = next(r for r in comp.rules if r.name == "bladder control")
    assert compose.combinations(rule, compose.hits(comp, near))
    assert not compose.combinations(rule, compose.hits(comp, free_text._normalise(far)))


def test_spelling_variants_reach_both_models() -> None:
    assert "acsm.signs_symptoms.ankle_oedema" in flags("ankle edema every evening")
    assert "red_flags.unexplained_weight_loss" in flags("lost a lot of wieght without trying")


def test_vocabulary_is_well_formed() -> None:
    comp = compose.compiled()
    names = set(comp.categories)
    assert {comp.categories[c] for r in comp.rules for c in r.need} <= names
    assert all(r.flags and r.window > 0 for r in comp.rules)
    by_flag = free_text.lexicon().by_flag
    assert all(f in by_flag for r in comp.rules for f in r.flags)


def test_no_benign_term_is_also_a_needed_term() -> None:
    """A benign-context term that stems to the same words as a term the rule needs
    would silence the rule whenever it could fire ("weighted" is "weight")."""
    comp = compose.compiled()
    clashes = [
        (r.name, key)
        for r in (*comp.rules, *(ax.rule for ax in comp.across))
        for key, cats in comp.terms.items()
        if set(cats) & set(r.need) and set(cats) & set(r.unless)
    ]
    assert clashes == []


def test_a_single_category_rule_fits_its_longest_term() -> None:
    comp = compose.compiled()
    for r in comp.rules:
        longest = max(len(k) for k, cats in comp.terms.items() if set(cats) & set(r.need))
        assert r.window >= longest - 1, r.name


# Trauma and the spinal red flags RF-2 names, and dizziness on exertion (ACSM-2):
# combinations written from the rules (phrases/README.md, eighth and ninth rounds).
MAJOR = "red_flags.major_trauma_with_spinal_pain"
FRACTURE = "red_flags.suspected_fracture_or_dislocation"
OSTEO = "red_flags.osteoporosis_with_new_severe_spinal_pain"
STEROIDS = "red_flags.prolonged_corticosteroids_with_new_back_pain"
IMMUNO = "red_flags.immunosuppression_with_new_spinal_pain"
DIZZY = "acsm.signs_symptoms.dizziness_or_syncope"


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("a van went into the side of my car last week, my lower back has ached ever since", MAJOR),
        ("tripped over the dog onto my outstretched hand, wrist very painful and I can't move it",
         FRACTURE),
        ("fell on my hip this morning and can't put any weight through my leg", FRACTURE),
        ("a small slip in the kitchen, now sharp central spine pain, eases when I lie flat",
         "red_flags.sudden_central_pain_after_minor_trauma"),
        ("take Fosamax weekly for my bones, suddenly bad pain in my back", OSTEO),
        ("steroids since my transplant and my back has become painful in the last fortnight",
         STEROIDS),
        ("lower back is worse the more I rest and better the more I move",
         "red_flags.inflammatory_back_pain_features"),
        ("constant dull pain in my upper back, nothing changes it, and I'm so tired",
         "red_flags.non_mechanical_or_thoracic_spinal_pain_unwell"),
        ("my head starts to swim when I run up the stairs", DIZZY),
        ("I keep nearly falling over on flat ground this month", "red_flags.gait_disturbance"),
        ("grip is going in both hands and I struggle to get up out of a chair",
         "red_flags.multilevel_limb_weakness"),
        ("I can lift less and less with my left arm", "red_flags.progressive_motor_deficit"),
        ("the doctor said my heart makes an extra noise",
         "acsm.signs_symptoms.known_heart_murmur"),
    ],
)
def test_trauma_and_spinal_combinations(text: str, flag: str) -> None:
    assert flag in compose_flags(text)


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("I felt dizzy when I stood up too fast once last year", DIZZY),  # G3/ACSM: not exertional
        ("held my breath on a heavy squat and saw stars for a second", DIZZY),  # Valsalva
        ("my mother has osteoporosis and bad back pain", OSTEO),  # someone else
        ("osteopenia, mild back ache for years, no change", OSTEO),
        ("steroid nasal spray for hay fever, back pain started after gardening", STEROIDS),
        ("watched the crashes on TV all afternoon, back a bit stiff from the sofa", MAJOR),
        ("car accident last month, no back or neck pain", MAJOR),
        ("finger jammed at volleyball, a bit swollen but bends fine", FRACTURE),
        ("back a little stiff first thing, gone in five minutes",
         "red_flags.inflammatory_back_pain_features"),
        ("upper back tight after rowing and constantly sore, eases with a foam roller",
         "red_flags.non_mechanical_or_thoracic_spinal_pain_unwell"),

        ("wobbly walking on the bosu, keep falling off", "red_flags.gait_disturbance"),
        ("want stronger arms and legs, grip going up every week",
         "red_flags.multilevel_limb_weakness"),
        ("my arm is less and less sore each week when I lift",
         "red_flags.progressive_motor_deficit"),
        ("murmur as a child, told it was innocent", "acsm.signs_symptoms.known_heart_murmur"),
    ],
)
def test_trauma_and_spinal_traps(text: str, flag: str) -> None:
    assert flag not in flags(text)


@pytest.mark.parametrize(
    ("text", "flag", "fires"),
    [
        ("Known osteoporosis. New severe back pain since Tuesday.", OSTEO, True),
        ("On prednisolone 10mg daily for 2 years. Back pain started last week.", STEROIDS, True),
        ("Fell off a ladder yesterday. Lower back is agony.", MAJOR, True),
        ("HIV positive. New lower back pain for a week.", IMMUNO, True),
        ("My mum has osteoporosis. New severe back pain since Tuesday.", OSTEO, False),
        ("No osteoporosis. New severe back pain since Tuesday.", OSTEO, False),
        ("Steroid inhaler for asthma. Back pain started last week.", STEROIDS, False),
        ("Ladder drills and sprints today. Lower back is agony.", MAJOR, False),
        ("Car accident in 2010. New back pain after deadlifts.", MAJOR, False),
        ("HIV test negative. New lower back pain for a week.", IMMUNO, False),
    ],
)
def test_a_risk_factor_in_another_sentence_completes_the_combination(
    text: str, flag: str, fires: bool
) -> None:
    """Clerks write the history and the complaint apart; each part is judged in its own
    sentence (negated, someone else's, long past or benign: no combination)."""
    assert (flag in flags(text)) is fires
