"""Words the screening cannot read (DEC-2, SYS-8; inscope_clinical.languages): notes in
another language hold the client until staff read them, English notes never do.

Two sets of notes, each written by a helper before reading the check
(phrases/languages/): ``notes.yaml`` was tuned on (every note is asserted);
``notes_check.yaml`` never was, and is asserted at its first-sight figures (docs/
clinical-engine.md). The English of the whole phrase corpus, holdout included, is the
biggest check that English is read as English; only counts are reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import phrase_yaml
import pytest
import yaml

from inscope_clinical.languages import sentence_language, unread

PHRASES = Path(__file__).parent / "phrases"
# notes_check.yaml at first sight (2026-12-05): 118/120 notes in other languages
# noticed, 1/120 English notes taken for another language.
CHECK_FOUND, CHECK_ENGLISH_FIRING = 118, 1
# The blind check round (phrases/rounds.yaml) is never tuned on: an English phrase of it
# taken for another language is one of its first-sight misses, asserted at that level
# (round 60, 2026-12-07: 1 of 645, its writers mixed words of other languages into
# English; round 50 had 1), not at none as for the rest.
BLIND_CHECK = frozenset(yaml.safe_load((PHRASES / "rounds.yaml").read_text(
    encoding="utf-8"))["blind_check"])
BLIND_CHECK_FIRING = 1


def notes(name: str) -> dict[str, Any]:
    return yaml.safe_load((PHRASES / "languages" / f"{name}.yaml").read_text(encoding="utf-8"))


def test_every_tuned_note_in_another_language_is_noticed() -> None:
    missed = [e["text"] for e in notes("notes")["not_english"] if unread(e["text"]) is None]
    assert missed == []


def test_no_tuned_english_note_is_taken_for_another_language() -> None:
    assert [t for t in notes("notes")["english"] if unread(t)] == []


def test_the_check_set_at_its_first_sight_figures() -> None:
    """Counts only: the check set is never printed or tuned on."""
    check = notes("notes_check")
    found = sum(unread(e["text"]) is not None for e in check["not_english"])
    firing = sum(unread(t) is not None for t in check["english"])
    print(f"\nnot-in-English check set: {found}/{len(check['not_english'])} noticed, "
          f"{firing}/{len(check['english'])} English notes firing")
    assert found >= CHECK_FOUND
    assert firing <= CHECK_ENGLISH_FIRING


def test_no_phrase_of_the_english_corpus_is_taken_for_another_language() -> None:
    """About 24,000 positives and negatives of every round and the holdout (counted,
    never shown). A sentence written in another script (round 48's writers put a word of
    Hindi or Urdu in some) is one the reader cannot read: noticed, by design; every
    other text is English and must be read as English (the blind check round is counted apart)."""
    firing = total = other_script = blind_firing = 0
    for path in PHRASES.glob("*/*.yaml"):
        if path.parent.name == "languages":
            continue
        if path.parent.name in BLIND_CHECK:
            doc = phrase_yaml.load(path)
            blind_firing += sum(unread(t) is not None and t.isascii()
                                for t in [*doc["positives"], *doc["negatives"]])
            continue
        doc = phrase_yaml.load(path)
        for text in [*doc["positives"], *doc["negatives"]]:
            total += 1
            found = unread(text)
            if found is not None and found[0] == "other" and not text.isascii():
                other_script += 1
                continue
            firing += found is not None
    assert total > 20_000
    assert firing == 0
    assert blind_firing <= BLIND_CHECK_FIRING
    # round 48b's three, counted when the round came, and round 50b's Turkish word
    # glossed in English ("Kırık? Broken?"): a word the reader cannot read, noticed
    assert other_script <= 4


@pytest.mark.parametrize(("sentence", "language"), [
    ("Tengo dolor en el pecho desde esta mañana", "es"),
    ("me duele la rodilla cuando subo escaleras", "es"),
    ("Sinto dor no peito quando ando", "pt"),
    ("J'ai mal au dos depuis deux semaines", "fr"),
    ("Ich habe seit gestern Schmerzen in der Brust", "de"),
    ("Ho dolore al petto da ieri sera", "it"),
    ("У меня болит грудь с утра", "other"),
    ("胸が痛い", "other"),
    ("mareos", "es"),
    ("mi pierna duele desde ayer", "es"),  # "mi" with other Spanish words
    ("Rückenschmerzen", "de"),
])
def test_a_sentence_in_another_language(sentence: str, language: str) -> None:
    assert sentence_language(sentence) == language


@pytest.mark.parametrize("sentence", [
    "Señora García referred me",  # capitals inside a sentence are names
    "my abuela says poco a poco",
    "Hx of MI 2019, stable",
    "levothyroxine 50 µg daily",
    "Claudication - Y",
    "Ottawa +ve",
    "café owner, on my feet all day",
    "lumbar",
    "Dr Lang",  # a short sentence of capitalised words is a name or a sign-off
    # Caribbean English: "mi", "di" and "dem" alone are not Spanish, Italian or German
    "Mi belly a hurt mi, mi cyaan eat di food",
    "mi tell dem mi chest a hurt mi",
])
def test_english_with_names_loan_words_and_shorthand(sentence: str) -> None:
    assert sentence_language(sentence) is None


def test_unread_names_the_sentences_not_read() -> None:
    assert unread("Left knee sore after squats. Me duele mucho la espalda.") == (
        "es", "Me duele mucho la espalda")
    assert unread("Left knee sore after squats.") is None


def test_a_name_before_a_colon_is_a_label() -> None:
    """A chat export's speaker ("[08:15] Bola:") is a name, not a word of Portuguese;
    a foreign word before a colon is still read ("Mareos: since Monday")."""
    assert unread("[Thu 08:15] Bola: the chest pain from Tuesday night, has it come back? "
                  "[Thu 08:17] Tunde: no, just that one time") is None
    assert unread("Dr Lang: seen today, fine to train") is None
    assert unread("mareos: since Monday") == ("es", "mareos")
