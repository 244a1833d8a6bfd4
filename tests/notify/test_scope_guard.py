"""The scope guard (pure): diagnostic words and phrasings are caught; the system's own
wording, in every email it can write, is not."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from inscope_clinical.letters.vocabulary import questionnaire_wording
from inscope_notify import scope_guard
from inscope_notify.config import load_notify_settings, load_settings
from inscope_notify.mail import render
from inscope_notify.messages import plan_answer, plan_decision, plan_progress, plan_reminder
from inscope_notify.service import guard
from tests.notify.scenarios import INTAKES, contact, decision

SETUP = load_notify_settings(load_settings({}), {}).setup
TODAY = dt.date(2026, 11, 27)

DIAGNOSTIC = [
    "You have patellofemoral syndrome.",
    "Your knee pain is caused by weak glutes.",
    "Weak glutes causing your knee pain.",
    "This program will fix your pain.",
    "We diagnose movement problems.",
    "The findings suggest a rotator cuff tear.",
    "Probably sciatica from a disc herniation.",
    "Classic tendinitis of the patellar tendon.",
    "Signs of arthritis in the right knee.",
    "Her muscle imbalance explains the pain.",
    "Possible cauda equina syndrome features.",
    "You're suffering from lower crossed syndrome.",
    "Stop taking your medication before training.",
    "We will rehabilitate your shoulder.",
    "Exercise can cure back pain.",
]
SAFE = [
    "Call emergency services (911) at once if you notice chest pain or pressure, fainting.",
    "If you have chest pain, call emergency services.",
    "As personal trainers we do not diagnose or treat. A physical therapist can look at this.",
    "These are not a diagnosis: we do not diagnose.",
    "The program works on probable muscle imbalances seen in your movement check.",
    "Knees moved inward during the squat; the client reported 4/10 pain at the front of the "
    "right knee when squatting.",
    "Evaluation by a physical therapist, with treatment as appropriate.",
    "Thank you for completing your intake. When you have booked, tell us.",
]


@pytest.mark.parametrize("entry", scope_guard.default_terms().entries, ids=lambda e: e.id)
def test_every_listed_term_catches_its_own_example(entry):
    assert entry.example, f"{entry.id} needs an example"
    found = scope_guard.check({"text": entry.example})
    assert entry.id in {v.entry_id for v in found}


@pytest.mark.parametrize("sentence", DIAGNOSTIC)
def test_diagnoses_causes_and_promises_are_caught(sentence):
    found = scope_guard.check({"text": sentence}, allowed=questionnaire_wording())
    assert found, sentence
    assert scope_guard.summary(found).startswith("scope guard: text: ")


@pytest.mark.parametrize("sentence", SAFE)
def test_the_systems_own_safe_wording_passes(sentence):
    assert scope_guard.check({"text": sentence}) == []


def test_quoted_questionnaire_wording_is_reported_not_diagnosed():
    answer = "PAR-Q+ follow-up 1b (arthritis, osteoporosis or back problems: joint problems "
    answer += "causing pain, a recent fracture, or a displaced vertebra (spondylolisthesis) or "
    answer += "pars defect): YES."
    assert scope_guard.check({"pdf": answer}, allowed=questionnaire_wording()) == []
    # The allowance is the exact questionnaire wording, nothing looser.
    assert scope_guard.check({"pdf": answer})
    assert scope_guard.check({"pdf": "The client has arthritis."}, allowed=questionnaire_wording())


def test_html_is_read_as_a_reader_sees_it():
    markup = "<p>Your pain is <strong>caus</strong>ed by<br>weak glutes &amp; more</p>"
    text = scope_guard.visible_text(markup)
    assert "weak glutes & more" in scope_guard.normalise(text)
    assert scope_guard.check({"html": "<p>Possible</p>\n<p>tendinitis</p>"})


def _consents():
    yield {}
    yield {"share_with_physician": False}
    yield {"email": False}


@pytest.mark.parametrize("name", sorted(INTAKES))
def test_no_email_the_system_writes_trips_its_own_guard(name):
    """Every decision the engine makes, with and without consent or a physician: the
    guard must never block our own wording (it would silently stop real referrals)."""
    data = decision(name)
    for consent in _consents():
        for people in (contact(name, **consent), {**contact(name, **consent), "physician": None}):
            for email in plan_decision(data, people, SETUP, TODAY):
                rendered = render(email.template, email.context)
                assert guard(rendered, email) == [], (name, email.kind, consent)


@pytest.mark.parametrize(
    "answer", ["cleared", "cleared_with_restrictions", "not_cleared", "needs_visit"]
)
def test_answer_reminder_and_progress_emails_pass_the_guard(answer):
    people = contact("pain on the movement screen")
    restrictions = {
        "max_intensity": "moderate",
        "avoid_movements": ["overhead pressing", "deep squats under load"],
        "notes": "Recheck in six weeks.",
    }
    answered = {
        "intake_id": "intake-1",
        "client_id": "client-1",
        "referral_id": "referral-1",
        "answer": answer,
        "restrictions": restrictions,
        "answered_at": "2026-12-01T10:00:00+00:00",
        "answered_by": "Dr. Priya Shah",
    }
    reminder = {
        "intake_id": "intake-1",
        "client_id": "client-1",
        "referral_id": "referral-1",
        "decision_id": "decision-1",
        "reminder_number": 2,
        "answer_url": "https://referral.example/answer/token",
        "target": "physical_therapist",
        "urgency": "routine",
    }
    progress = {
        "intake_id": "intake-1",
        "client_id": "client-1",
        "referral_id": "referral-1",
        "period_start": "2026-09-01",
        "period_end": "2026-11-24",
        "attendance": {"attended": 20, "planned": 24},
        "reassessment_changes": [{"test": "deep_squat", "before": 1, "after": 2}],
        "current_phase": "activate",
    }
    planned = plan_answer(answered, people, SETUP)
    planned += plan_reminder(
        reminder, people, SETUP, decision("pain on the movement screen"), TODAY, TODAY
    )
    planned += plan_progress(progress, people, SETUP, TODAY)
    for email in planned:
        rendered = render(email.template, email.context)
        if email.guarded:
            assert guard(rendered, email) == [], email.kind


# -- the one pass (issue 13) finds exactly what reading every entry on its own finds ----


def _every_entry(parts, allowed=()):
    """The guard as it was before the one pass: mask the vouched wording with one
    alternation, longest first, then run every entry's regex over every part."""
    terms = scope_guard.default_terms()
    vouched = list(terms.safe_wording) + [scope_guard.normalise(a) for a in allowed]
    ordered = sorted({p for p in vouched if p}, key=len, reverse=True)
    phrases = re.compile("|".join(re.escape(p) for p in ordered), re.IGNORECASE)
    found = []
    for part, raw in parts.items():
        text = phrases.sub(lambda m: "\u00b7" * len(m.group(0)), scope_guard.normalise(raw))
        for entry in terms.entries:
            for match in entry.pattern.finditer(text):
                found.append(
                    scope_guard.Violation(part, entry.id, entry.kind, match.group(0), entry.why)
                )
    return found


def _system_texts():
    for name in sorted(INTAKES):
        for email in plan_decision(decision(name), contact(name), SETUP, TODAY):
            rendered = render(email.template, email.context)
            yield rendered.text
            if email.letter:
                yield email.letter.plain()


def _tricky_texts(rng):
    """Vouched wording and diagnostic words run into each other, in odd cases and with
    the characters case-insensitive matching pairs with ASCII letters."""
    terms = scope_guard.default_terms()
    pieces = [e.example for e in terms.entries] + DIAGNOSTIC + SAFE
    pieces += list(terms.safe_wording) + list(questionnaire_wording())
    pieces += ["if", "when", "you have", "itis", "s", "\u017fyndrome", "\u212anee", "D\u0130SC"]
    # Word characters and not around anchor words: boundaries as re reads them.
    pieces += ["_", "2", "\u00e9", "\u00b7", "'", "heal", "health", "secure", "because", "caus"]
    for _ in range(200):
        chosen = [rng.choice(pieces) for _ in range(rng.randint(1, 4))]
        text = rng.choice(["", " ", "-", "x"]).join(chosen)
        if rng.random() < 0.3:
            text = text.upper()
        if rng.random() < 0.3 and text:  # cut a phrase in the middle
            text = text[rng.randrange(len(text)) :]
        yield text


def test_the_one_pass_finds_what_reading_every_entry_finds():
    rng = random.Random(13)
    texts = [*DIAGNOSTIC, *SAFE, *(e.example for e in scope_guard.default_terms().entries)]
    texts += [*_system_texts(), *_tricky_texts(rng)]
    for allowed in ((), questionnaire_wording()):
        for i in range(0, len(texts), 3):
            parts = {f"part{j}": text for j, text in enumerate(texts[i : i + 3])}
            assert scope_guard.check(parts, allowed=allowed) == _every_entry(parts, allowed), (
                parts
            )


def test_fold_keeps_length_and_pairs_what_re_pairs_with_a_letter():
    every = "".join(map(chr, range(0x110000))).replace("\n", "")
    folded = scope_guard.fold(every)
    assert len(folded) == len(every)  # positions in the folded text are the text's
    letters = re.compile("[a-z]", re.IGNORECASE)
    for match in letters.finditer(every):
        char = match.group(0)
        assert re.fullmatch(folded[match.start()], char, re.IGNORECASE), hex(ord(char))
        assert folded[match.start()].isascii(), hex(ord(char))


@pytest.mark.parametrize(
    ("pattern", "anchors"),
    [
        (r"\bdiagnos\w*", {"diagnos"}),
        (r"\btorn\b|\b(labral|menisc\w*) (tear|rupture)s?\b", {"torn", "labral", "menisc"}),
        (r"\b[a-z]+itis\b", {"itis"}),
        (r"\w+", None),  # nothing literal: the entry always runs
        (r"(?:abc)?xyz|q", {"q", "xyz"}),
        (r"(?:ab)*c?", None),
        # Runs of literals, classes and optional or alternative literals are one word
        # each way they can be spelled (issue 13: "you" is in nearly every email).
        (r"(?<!\bif )\byou(?:'ve| have)(?: got)?(?! been)", {"you've", "you have"}),
        (r"\bcaus(?:e|es|ed|ing)", {"cause", "causing"}),
        (r"\bpain[- ]free\b", {"pain-free", "pain free"}),
        (r"\bdiscs? (?:bulge|tear)s?", {"disc bulge", "disc tear", "discs bulge", "discs tear"}),
        (r"\bmet[a\u00e1]sta\w*", {"met"}),  # a non-ASCII literal ends the word
        (r"ab{2,3}c|x{1,9}yz", {"abbc", "abbbc", "yz"}),  # "x" up to 9 times: not spelled out
    ],
)
def test_anchors_are_words_every_match_contains(pattern, anchors):
    assert scope_guard.anchors(pattern) == (frozenset(anchors) if anchors else None)


@pytest.mark.parametrize(
    ("pattern", "bounded"),
    [
        # Bounded on both sides: only the word itself, so none holding another is dropped.
        (r"\bcaus(?:e|es)\b", {("cause", True, True), ("causes", True, True)}),
        # On one side: a word is dropped for another it starts (ends) with.
        (r"\bheal(?:s|ed)?", {("heal", True, False)}),
        (r"(?:un)?well\b", {("well", False, True)}),
        (r"\b(?:fix|heal)\b|\bget rid of", {("fix", True, True), ("heal", True, True),
                                              ("get rid of", True, False)}),
        # A \b before a group reaches the words inside it, lookarounds between or not.
        (r"\b(?=h)(herniat\w*|slipped) discs?\b",
         {("herniat", True, False), ("slipped", True, False)}),
        (r"\bmet[a\u00e1]sta", {("met", True, False)}),
        (r"(?a)\bheal\b", {("heal", False, False)}),  # ASCII boundaries: not ours
        (r"\b(?a:x)heal\b", {("xheal", False, False)}),
    ],
)
def test_anchors_carry_the_word_boundaries_around_them(pattern, bounded):
    assert scope_guard.bounded_anchors(pattern) == frozenset(bounded)


def test_an_entry_runs_only_where_its_word_has_its_boundaries():
    """Words inside other words ("health", "secure", "because", "discuss") ran their
    entries' regexes over the whole text, in nearly every email (issue 13)."""
    terms = scope_guard.default_terms()
    scanner = scope_guard._scanner(terms, ())
    quiet = "Your health is secure because we discuss it; something new."
    assert scanner.candidates(quiet) == []
    ids = [terms.entries[i].id for i in scanner.candidates("This heals_ heal. Because x")]
    assert ids == ["promise"]


def test_the_systems_emails_run_few_entries():
    """The saving, pinned: over every part of the emails the system writes for the
    scenario decisions, an entry's regex runs only where its phrase is there ("Once
    you have seen the client", "probable muscle imbalances"): 5 runs; 213 before the
    anchors were spelled out and bounded, when "you", "pain", "heal" in "health",
    "cure" in "secure" or "caus" in "because" was enough (issue 13)."""
    terms = scope_guard.default_terms()
    scanner = scope_guard._scanner(terms, tuple(questionnaire_wording()))
    ran = []
    for text in _system_texts():
        masked = scanner.mask(scope_guard.normalise(text))
        ran += [terms.entries[i].id for i in scanner.candidates(masked)]
    assert set(ran) <= {"you-have", "imbalance-as-finding"} and len(ran) <= 5, ran


@pytest.mark.parametrize(
    ("pattern", "starts"),
    [
        (r"(?<!\bif )\byou(?:'ve| have)\b", "y"),
        (r"\b(?:fix|cure)\b|\bget rid of\b", "cfg"),
        (r"(?:a|b)?c", "abc"),
        (r"\b[a-z]+itis\b", None),  # a range: not listed, the pattern runs as it is
        (r"x*", None),  # matches the empty string anywhere
    ],
)
def test_quick_start_names_the_characters_a_match_can_start_with(pattern, starts):
    compiled = re.compile(pattern, re.IGNORECASE)
    quick = scope_guard.quick_start(compiled)
    if starts is None:
        assert quick is compiled
    else:
        assert quick.pattern.startswith(f"(?=[{starts}])")
    text = "If you have it, YOU HAVE it; ABC, bc, c. Get rid of arthritis: fix, cure."
    assert [m.span() for m in quick.finditer(text)] == [m.span() for m in compiled.finditer(text)]


def test_each_term_list_is_read_with_its_own_scanner():
    """The scanner of the last call is reused only for the very same term list and
    wording (issue 13): another list, or other allowed wording, gets its own."""
    only_fix = scope_guard.parse_terms(
        {
            "pathologies": [],
            "phrasings": [{"id": "fix", "pattern": r"\bfix\b", "why": "a promise"}],
        }
    )
    text = {"text": "This will fix your pain. You have sciatica."}
    default = [v.entry_id for v in scope_guard.check(text)]
    assert "fix" not in default and default
    assert [v.entry_id for v in scope_guard.check(text, terms=only_fix)] == ["fix"]
    assert [v.entry_id for v in scope_guard.check(text)] == default
    assert scope_guard.check(text, terms=only_fix, allowed=["will fix your pain"]) == []
    assert [v.entry_id for v in scope_guard.check(text, terms=only_fix)] == ["fix"]
