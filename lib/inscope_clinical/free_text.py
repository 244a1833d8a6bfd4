"""SYS-7 / DEC-2 safety net: red flags, ACSM signs and PAR-Q+ items in free text.

Every free-text field of the intake and the assessment is read against a maintained
lexicon (``free_text_lexicon.json``, one entry per structured answer: see
docs/clinical-engine.md). A mention that is current - not negated ("no", "denies",
"chest pain? no"), not resolved ("investigated, nothing found", "gone now"), not
conditional ("if chest pain occurs ..."), not about someone else ("mum had ...") and
not long past ("in 2010", "as a child") - is taken as that structured answer: the
engine's own rules are run again with the answer ticked and whatever they add that the
structured answers alone did not is added here (rule SYS-7), at the grade the rule gives
(an emergency red flag grades emergency; a named disease goes through the ACSM-3 /
PAR-Q+ algorithm, not to a blanket referral). The record is flagged
``review:free_text`` with the matched words. Where negation or time is unclear, the
mention fires. A structured "NO" beside words describing the very thing is a
contradiction (DEC-3): the words win and ``review:contradiction`` lists both sides.

Two matching models are joined (a flag fires when either finds it):

* **word lists** (``free_text_lexicon.json``): per flag, regex terms with macros, gaps
  and ``all`` groups (body part + feeling + trigger in one sentence), ``unless`` benign
  contexts and a one-slip speller;
* **combinations** (``free_text_compose.py`` + ``free_text_compose.json``): a red flag
  as body part/region x sensation/symptom x time/onset/trigger (x severity) - vocabulary
  categories of stemmed words with British/American and misspelling variants; a rule
  fires when a term of every category it needs occurs within a window of words in one
  sentence, in any order ("walking up the hill to work my jaw starts to ache"). The
  whole span of the combination goes through the same clause rules below, and through
  the word-list entry's ``unless`` for that flag.

A mention of plain pain gives the RF-4 physical-therapist referral unless a structured
pain row (or a current injury) already covers it (DEC-5).

Nothing here lowers a decision: reasons are only added, and SYS-2 keeps the highest.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import json
import pickle
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser as _sre_parse  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any, NamedTuple

import ahocorasick

if TYPE_CHECKING:
    import mmap

from . import acsm as acsm_rules
from . import compiled_cache, languages, red_flags, startset
from . import free_text_compose as compose
from . import parq as parq_rules
from . import review as staff_review
from .config import EngineConfig
from .history import pt_referral, refer_pt
from .memo import Memo, key_of
from .pain_cover import covering_row
from .reasons import Collector
from .schemas import plain_copy

LEXICON_FILE = "free_text_lexicon.json"
PAIN_FLAG = "rf4.musculoskeletal_pain"
ROW_ITSELF = (PAIN_FLAG, "parq.general.g6")
CLINICIAN_FIELDS = ("intake.history.physical_therapy[", "intake.history.clinician_guidelines[",
                    "intake.history.written_clearances[")
ROW_FIELDS = ("intake.pain[", "intake.history.injuries[", "intake.history.surgeries[",
              "assessment.pain_during[")
INTENSITY_ORDER = ("light", "light_to_moderate", "moderate", "vigorous")

# ------------------------------------------------------------------ term syntax

_GAP_SHORT = r"(?:[^\w,;.?!:()\n]+[\w'/&+-]+){0,3}?[^\w,;.?!:()\n]+"
_GAP_LONG = r"(?:[^\w,;.?!:()\n]+[\w'/&+-]+){0,6}?[^\w,;.?!:()\n]+"
_MACRO = re.compile(r"\{([A-Z0-9_]+)\}")
_LOOKBEHIND = re.compile(r"\(\?<[!=][^)]*\)")  # fixed width: spaces stay spaces
_CHAR_CLASS = startset.compile(r"(?<!\\)\[(?:\\.|[^\]\\])*\]")


def _term(text: str, macros: dict[str, str]) -> str:
    """One lexicon term as a regex: ``{NAME}`` is a macro, `` ~ `` a gap of up to
    three words and `` ~~ `` of up to six (never across , ; . ? ! :), a space any run
    of spaces/hyphens/slashes (`` ?`` an optional one), ``*`` the rest of a word;
    everything else is a regex."""
    out = text
    for _ in range(5):  # macros may name macros
        out = _MACRO.sub(lambda m: "(?:" + macros[m.group(1)] + ")", out)
    out = _LOOKBEHIND.sub(lambda m: m.group(0).replace(" ", "\x03"), out)
    # a space inside a character class is that character ("long[- ]haul")
    out = _CHAR_CLASS.sub(lambda m: m.group(0).replace(" ", "\x03"), out)
    out = out.replace(" ~~ ", "\x01").replace(" ~ ", "\x02").replace(" ?", "\x04")
    out = out.replace("*", r"\w*").replace(" ", r"[\s/-]+")
    return (out.replace("\x01", _GAP_LONG).replace("\x02", _GAP_SHORT).replace("\x03", " ")
            .replace("\x04", r"[\s/-]*"))


# A pseudo-literal: "the sentence holds a digit". Terms made of numbers alone ("38.5",
# "160/100") need one, so their entries are not read for every sentence without one.
DIGIT = "\x00digit"
_ANY_DIGIT = re.compile(r"\d")
# Single characters rare enough in notes to be worth indexing ("#" fracture, "?" query).
_RARE = frozenset("#?°")


def _digits_only(av: Any) -> bool:
    """True for a character class of digits only ([0-9], [89], \\d)."""
    for op, value in av:
        if op is _sre.LITERAL and chr(value).isdigit():
            continue
        if op is _sre.RANGE and chr(value[0]).isdigit() and chr(value[1]).isdigit():
            continue
        if op is _sre.CATEGORY and value is _sre.CATEGORY_DIGIT:
            continue
        return False
    return bool(av)


def _weight(key: str) -> int:
    return 1 if key == DIGIT else len(key)


def _required(items: Any) -> frozenset[str] | None:
    """Literal strings one of which every match of a parsed pattern contains (None when
    the pattern guarantees none): the index that skips entries a text cannot match."""
    found: list[frozenset[str]] = []
    run = ""
    for op, av in list(items) + [(None, None)]:
        if op is _sre.LITERAL:
            run += chr(av)
            continue
        if len(run) >= 2 or run in _RARE:
            found.append(frozenset([run]))
        run = ""
        if op is _sre.IN and _digits_only(av):
            found.append(frozenset([DIGIT]))
        elif op is _sre.SUBPATTERN:
            sub = _required(av[-1])
            if sub:
                found.append(sub)
        elif op is _sre.BRANCH:
            subs = [_required(b) for b in av[1]]
            if all(subs):
                found.append(frozenset().union(*subs))  # type: ignore[arg-type]
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            sub = _required(av[2])
            if sub:
                found.append(sub)
    if not found:
        return None
    return max(found, key=lambda keys: (min(_weight(k) for k in keys), -len(keys)))


def _clauses(items: Any) -> list[frozenset[str]]:
    """Every set of literals one of which every match of a parsed pattern contains (a
    conjunction: each set is required, where ``_required`` keeps only the rarest): "chest
    ~ tight" needs one of "chest" and one of "tight". An alternative needs, for each k,
    the union of its branches' k-th sets (a branch's last when it has fewer)."""
    found: list[frozenset[str]] = []
    run = ""
    for op, av in list(items) + [(None, None)]:
        if op is _sre.LITERAL:
            run += chr(av)
            continue
        if len(run) >= 2 or run in _RARE:
            found.append(frozenset([run]))
        run = ""
        if op is _sre.IN and _digits_only(av):
            found.append(frozenset([DIGIT]))
        elif op is _sre.SUBPATTERN:
            found += _clauses(av[-1])
        elif op is _sre.BRANCH:
            subs = [_clauses(b) for b in av[1]]
            if all(subs):
                found += [frozenset().union(*(sub[min(k, len(sub) - 1)] for sub in subs))
                          for k in range(max(len(sub) for sub in subs))]
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            found += _clauses(av[2])
    return sorted(dict.fromkeys(found),
                  key=lambda keys: (-min(_weight(k) for k in keys), len(keys)))


def _compile(terms: list[str], macros: dict[str, str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    body = "|".join(f"(?:{_term(t, macros)})" for t in terms)
    return startset.compile(rf"(?<![\w])(?:{body})(?![\w])")


def _structure(regex: str) -> Iterator[tuple[int, str, int]]:
    """(index, character, group depth after it) for each ``(``, ``)`` and ``|`` of
    ``regex`` outside escapes and character classes."""
    depth, i = 0, 0
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            i += 1
        elif c == "[":  # a class: "]" first (or after "^") is a literal
            i += 2 if regex[i + 1:i + 2] == "^" else 1
            i += 1 if regex[i:i + 1] == "]" else 0
            while regex[i] != "]":
                i += 2 if regex[i] == "\\" else 1
        elif c in "()|":
            depth += {"(": 1, ")": -1, "|": 0}[c]
            yield i, c, depth
        i += 1


def _top_level(regex: str) -> list[str]:
    """``regex`` split at its top-level ``|`` (outside groups and character classes):
    the alternatives, in order, whose alternation is ``regex``."""
    out, start = [], 0
    for i, c, depth in _structure(regex):
        if c == "|" and depth == 0:
            out.append(regex[start:i])
            start = i + 1
    return out + [regex[start:]]


def _branches(terms: list[str], macros: dict[str, str], ungroup: bool = False) -> list[str]:
    """The top-level alternatives of ``_compile(terms)``'s body, in order. ``ungroup``
    (an ``unless`` pattern, run as its viable alternatives one by one: _unless_matches):
    a term that is a macro alone ("{CHEST_GYM}", a group) gives the macro's own
    alternatives, each looked for by its own literals (issue 13: "from" or "with" let
    the chest flags' whole gym-context group run on every chest sentence)."""
    tops = [top for t in terms for top in _top_level(_term(t, macros))]
    return [b for top in tops for b in _ungrouped(top)] if ungroup else tops


def _ungrouped(regex: str) -> list[str]:
    """``regex``'s top-level alternatives when it is one non-capturing group, else it."""
    if not (regex.startswith("(?:") and regex.endswith(")")) or _closing(regex) != len(regex) - 1:
        return [regex]
    return [b for top in _top_level(regex[3:-1]) for b in _ungrouped(top)]


def _closing(regex: str) -> int:
    """The index of the ")" closing the group opened at ``regex[0]``."""
    return next((i for i, c, depth in _structure(regex) if c == ")" and depth == 0), -1)


def _guarded(alternatives: list[str]) -> str:
    """The pattern ``_compile`` makes of these alternatives (the same word guards)."""
    body = "|".join(f"(?:{b})" for b in alternatives)
    return rf"(?<![\w])(?:{body})(?![\w])"


# ------------------------------------------------------------------ cues (clause scope)

_NEG_BEFORE = startset.compile(
    r"(?<![\w])(?:no(?! (?:longer|better|relief|difference|diff|reason|idea|warning|sensation|"
    r"feeling|strength|power|control|way|one|matter|more than|sooner|"
    # "no movement against gravity": a grade of power (2/5), not a denial
    r"(?:active )?movement against gravity|antigravity|anti-gravity)\b)|"
    # "can not" is "cannot" and "could not lift" an inability: no cue ("could not find"
    # a fracture is one: the branch after this)
    r"(?<!can )(?<!could )not(?! (?:controll|lol|joking|kidding|"
    r"working|helping|respond|getting|under|settling|shifting|improving|easing|sure|trying|"
    r"dieting|meaning|been well|been able|well|able|coping|been trying|related|mine|even tryin|"
    # "she's not been herself for weeks, pale and wiped out": unwell, not a denial
    r"(?:been )?(?:my|him|her|them)sel|"
    # "foot is not lifting", "not had a proper wee all day": a function lost
    r"lifting|standing|managed|had a (?:proper |decent |normal )?(?:wee|pee|poo)|"
    # a non-native speaker's "legs not hold me", "water does not come out normal", "the
    # foot does not obey", "face is not same on one side", "the words not come"
    r"hold (?:me|him|her)|obey|come out|(?:the )?same on (?:one|the (?:left|right)) side|"
    r"come(?! back)(?![\w])|know when (?:i|he|she) (?:need|needs|have|has) (?:to|the)|"
    r"coming out (?:properly|right|well)|flowing (?:properly|right|well)|"
    r"coming (?:fully|properly|out fully)|been following|following (?:it|the plan|my plan|"
    r"a diet|any diet)|"
    # "my walking is not good": a complaint, not a denial
    r"(?:good|great|normal|steady|stable|the same|right(?! now))(?![\w])|"
    # "can you walk on your heels? not on the left": a side that cannot, not a denial
    r"on (?:the |my |his |her )?(?:left|right)(?![\w])))|"
    r"could not (?:find|see|detect|identify|confirm|show)|denies|denied|"
    r"non(?=[- ](?:tender|painful|swollen)(?![\w]))|"
    # "pressed all the bony points, nothing tender"
    r"nothing(?= (?:tender|sore|painful|swollen|numb)(?![\w]))|"
    r"nothing (?:has |have |'s )?changed (?:with|in)|"
    r"deny|denying|never(?! (?:sleep|get (?:a )?(?:good|full) (?:night|sleep)|"
    # "never before I had pain in the back", "never in life back pain was there", "it never
    # stopped getting weaker": a first time, a decline that goes on
    r"before (?:i|he|she|this)|in (?:my |his |her )?life (?:back|neck|chest|pain|(?:the |a |any )?"
    r"(?:pain|ache))|stopped (?:getting|going)|"
    # "never had this before, ...": the words that follow are new, not denied
    r"(?:had|felt|experienced|known) (?:this|that|it|anything like (?:this|that|it)) before|"
    # "..., which has never been a problem before": new, not denied
    r"been (?:a |an )?(?:problem|issue|trouble|bother) before|"
    # "my back's never been right since ...": a trouble that has lasted, not denied
    r"(?:been|felt) (?:quite )?(?:right|the same)|fully (?:recovered|healed|settled)|"
    # "an ache that never lets up": a pain that persists, not a denial
    r"used to|(?:lets? up|let up|eases?|settles?|switches off|goes (?:away|off)|"
    r"stops(?! (?:me|him|her))|"
    r"(?:fully |properly |completely )?empt(?:y|ies))"
    r"(?![\w])))|"
    # "I am without force all days": non-native for no strength, a symptom, not a denial
    # "last week she did it without, both legs buckling": no object, nothing denied
    r"without(?! (?:force|energy|strength|power|air|breath)(?![\w]))(?!\s*[,.;!?])|nil|none|"
    r"negative for|"
    r"free of|free from|absence of|rarely|"
    # ("she hasn't been herself": unwell, not a denial)
    r"ruled out|rules out|no evidence of|nor|neither|haven'?t (?:had|got|been(?! able)(?! "
    r"(?:my|him|her|them)sel))|hasn'?t (?:had|got|been(?! able)(?! (?:my|him|her|them)sel))|"
    r"don'?t have|doesn'?t have|didn'?t have|do not have|does not have|"
    r"did not have|not had(?! a (?:proper |decent |normal )?(?:wee|pee|poo))|no history of|"
    r"no hx of|nkda|n/a|nothing to do with|"
    # "I don't feel feverish": the words of the feeling are the mention's own
    r"(?:don'?t|do not|doesn'?t|does not|didn'?t|did not|haven'?t|have not) (?:feel|felt|seem|"
    r"look|been) (?:at all |really |very |particularly )?(?:feverish|unwell|poorly|shivery|"
    r"ill|sick|hot|rough)|"
    # "physio says nothing is dislocated"
    r"nothing (?:is|was|'s|has been) (?:broken|fractured|dislocated|torn|out of place)|"
    # "I don't wake up short of breath" (what follows may be masked: _compositional)
    r"(?:do|does|did)n'?t wake(?: up)?(?= )|"
    # "the bones aren't tender", "I don't get stiff", "doesn't hurt": a contracted "not"
    # negates only before a symptom word (the "not" branch above has many exclusions)
    r"(?:is|are|was|were|does|do|did)n'?t(?: get| feel)?(?= (?:at all |really |very )?"
    r"(?:tender|sore|painful|swollen|numb|stiff|hurt|achy|aching|tingl|feverish|unwell|"
    r"poorly|shivery|hot|breathless|short of breath|out of breath|dizzy|light-?headed)))"
    r"(?![\w])")
_HARD = startset.compile(r"[;:()?+]| - |, (?:it'?s |its )?more (?:a|an|of a|like)(?![\w])|"
                   r"(?<![\w])and (?:reports?|reported|says|said|mentions?|"
                   r"mentioned|states?|stated|adds?|added|describes?|complains?)(?![\w])|"
                   r"(?<![\w])(?:but|however|although|though|except|apart from|"
                   r"whereas|yet|then|and (?:i|i'm|i've|my|now|then|it|it's|she|he|they)|"
                   r"now|since then|until)(?![\w])")
_NEW_CLAUSE = startset.compile(r"(?<![\w])(?:i|i'm|i've|im|ive|my|me|he|she|they|it|it's|now|since|"
                         r"looks?|looked|appears?|seems?|seemed|feeling|"
                         r"is|are|was|were|has|have|had|got|get|gets|feel|feels|felt|still|"
                         r"started|keeps?|c/o|pt|reports?)(?![\w])")
# "back fine", "neck is completely fine": a reply straight after the words.
_FINE_WORDS = (r"^\s*(?:status |function |exam |examination |checks? |obs |observations )?"
               r"(?:is |are |was |were |felt |feels |feel |has been |'s been |s been |'s |"
               r"have been |had been |all )?"
               r"(?:completely |totally |absolutely |perfectly |entirely |both )?(?:{})"
               # "back was fine till last week, now it's sore": fine no longer
               r"(?![\w])(?! (?:till|til|until|up to|up until|right up until)(?![\w]))")
_FINE = r"fine|ok|okay|normal|good|clear|unaffected(?! by)|healthy|great|intact|stable|5/5"
_FINE_AFTER = _FINE_WORDS.format(_FINE)
# "legs strong" is a reply, but "chest pain strong now", "my chest was pressing strong", "the
# pain in my chest is strong" say how bad: "strong" answers a part or a function, never a
# feeling (_strong_reply).
_STRONG_AFTER = startset.compile(_FINE_WORDS.format("strong"))
_FELT_LAST = startset.compile(
    r"(?<![\w])(?:pains?|aches?|aching|achy|hurts?|hurting|sore|pressing|pressure|"
    r"squeez\w*|tight\w*|burn\w*|throbb\w*|pound\w*|beat\w*|rac\w*|cramp\w*|"
    r"stabb\w*|shoot\w*|crush\w*|heavy|heaviness|discomfort)"
    # ("the pain in my chest is strong": the pain's, not the chest's)
    r"(?: (?:in|on|across|around|behind) (?:my |the |his |her |both |your )?[\w-]+)?$")


def _strong_reply(sentence: str, start: int, end: int) -> bool:
    """"... strong" straight after the words answers them, unless they end in a feeling."""
    return (sentence.find("strong", end) >= 0  # (most sentences: no regex run)
            and _STRONG_AFTER.match(sentence[end:]) is not None
            and not _FELT_LAST.search(sentence, start, end))
# A reply after the mention ("chest pain? no", "bp: normal", "- denied", "fine"): each
# branch with the characters it cannot match without ("?" or ":"), so that a reply is
# looked for only by the branches that can match (one anchored pattern with all of them
# scanned up to 60 characters for a "?" or ":" that most sentences do not have).
_ANSWER_AFTER_BRANCHES: tuple[tuple[str, str | None], ...] = (
    # (a chat's " / Client: nah", a tick box "[ ] yes [x] no", "- nothing like that")
    (r"^(?:[^.;!]|\.(?=[0-9])){0,60}?\?(?:(?:[^.;!?]|\.(?=[0-9])){0,40}?\?)*\s*(?:/\s*)?"
     r"(?:(?:a|ans|answer|reply|r|client|member)(?:\s+(?:ticked|marked|given|chosen))?\s*"
     r"[:=-]\s*|"
     # "Q: any falls ...? Client says no.", "...? Client ticked No", "...? Ticked no"
     r"(?:(?:client|member|pt|patient|she|he|they)\s+)?(?:says|said|answered|answers|"
     r"replied|replies|reports|reported|states|stated|ticked|ticks|marked|circled)\s+)?"
     r"[-:]?\s*"
     r"(?:(?:\[\s*\]\s*y(?:es)?\s*)?\[\s*[x✓✔]\s*\]\s*no?|nothing(?: like that| of the sort)?|"
     r"no|nope|nah|never(?! (?:had|felt|noticed|experienced) (?:that|this|it|anything like)|"
     r" happened before| been like (?:this|that)| before)|none|nil|"
     r"negative|neg|denies|denied|not really|not at all|fine|normal|ok|okay|good|all fine|"
     r"not that i know(?: of)?|not that i'?d (?:notice|noticed|say|know)|not to my knowledge|"
     r"don'?t think so|"
     r"(?:client|member|pt|patient|she|he|they) denie[sd]|"
     r"clear|n)(?![\w])", "?"),
    # (not across a form's " / ": "back pain started this month / Temperature: normal")
    (r"^(?:(?! / )[^.;!?,]){0,60}?:\s*(?:no|none|nil|never|negative|denies|denied|normal|nad|n)"
     r"(?![\w])",
     ":"),
    # one reply for a list of findings ("Face droop, arm weakness or speech problems:
    # none of these")
    (r"^(?:(?! / )[^.;!?]){0,80}?:\s*(?:none|nil) of (?:these|the above|them|those)(?![\w])",
     ":"),
    # (the rest of the item first: "exertional chest | pain - denies")
    # ("retention - no urge to void": "no" and a new finding is not a reply)
    # ("chest pain right now - no history of heart trouble", "- denies smoking": a denial
    # of something else)
    # ("Right calf - no, LEFT, ...", "Night pain started - no, it's been a fortnight
    # actually": the writer correcting a detail, not a reply)
    (r"^(?:\s+[\w'/]+){0,3}?\s*[-=]\s*(?:no(?!\s*,\s*(?:sorry|i mean|i meant|wait|"
     r"scratch that|correction|(?:it'?s|its|it has) been (?!fine|ok|okay|good|great|normal|"
     r"gone|better|all right|alright|clear)|(?:left|right)(?=\s*[,-])))"
     r"(?=\s*(?:$|[,;:.!?)(/-]|(?:and|but|never|none|"
     r"problems?|issues?|concerns?|symptoms?|complaints?|history)(?![\w])(?! (?:of|with|in) )))|"
     r"nope|nah|none|nil|negative|denie[sd](?=\s*(?:$|[,;:.!?)(/-]))|"
     r"n(?=\s*(?:$|,)))(?![\w])", None),
    # a form's reply with its "?" or ":" left out, ending the sentence ("claudication no")
    (r"^\s+(?:no|none|nil|negative|neg|denie[sd])\s*$", None),
    (_FINE_AFTER, None),
    # a trailing reply to a question reported in the sentence ("... asked if my
    # fingers were cold, they're not")
    (r"^[^.;!?]{0,80}?,\s*(?:they'?re not|they are not|they were not|they aren'?t|"
     r"they weren'?t|it'?s not|it is not|it was not|it isn'?t|it wasn'?t|(?:i|she|he) said no)"
     r"\s*$", ","),
    # a form's question copied with no answer ("Q: Saddle numbness? A: (left blank)",
    # "Chest pain now: (not answered)", "A: -"): nothing told, so nothing current
    (r"^(?:[^.;!]){0,80}?[?:]\s*(?:(?:a|ans|answer)\s*[:=-]\s*)?\(?\s*(?:left blank|left "
     r"empty|blank|not answered|no answer(?: given)?|unanswered|not completed|not filled"
     r"(?: in)?|(?:question )?skipped|-(?=\s*$))(?:\s*[-,]\s*[^()]*)?\)?\s*$", None),
    (r"^[- ]?free(?![\w])", None),
    (r"^\s*(?:(?:is|are|was|were|does|do|did)n'?t|(?:is|are|was|were|does|do|did) not) "
     r"(?:at all |really )?(?:hurt|tender|sore|painful|ache|bother)", None),
    # ("she can no longer stand from the chair" is a function lost, not the words resolved)
    (r"^[^,.;?!]{0,30}?(?<![\w])(?:not any ?more|no more|(?<!can )(?<!could )no longer|ruled "
     r"out|excluded|negative)(?![\w])", None),
)
_ANSWER_AFTER = startset.compile("|".join(branch for branch, _ in _ANSWER_AFTER_BRANCHES))
_ANSWER_AFTER_EACH = tuple((startset.compile(branch), needs)
                           for branch, needs in _ANSWER_AFTER_BRANCHES)


# A body part named last in a mention, then more parts and one reply for all of them
# ("neck and back completely fine"): the reply is the part's too. Only when the mention
# itself ends in a part ("immunosuppressed, back fine" still names the immunosuppression).
_PARTS_LIST = (r"(?:neck|back|spine|head|arms?|legs?|hands?|fingers|toes|feet|foot|"
               r"shoulders?|hips?|knees?|wrists?|ankles?|elbows?|pelvis|ribs|chest)")
_PART_LAST = startset.compile(rf"(?<![\w]){_PARTS_LIST}$")
_PARTS_REPLY = startset.compile(
    rf"(?:\s*(?:&|/|and|or)\s*(?:my |the |both )?{_PARTS_LIST}){{1,3}}\s*(?:are |were |is |"
    r"was |feel |feels |felt |all )?(?:completely |totally |absolutely |perfectly |entirely |"
    r"both )?(?:fine|ok|okay|normal|unaffected|unhurt|uninjured|intact)(?![\w])")


# A general question, then the writer says it is not theirs: "Does a heart murmur stop
# you doing weights? Asking for a friend, I do not have one.", "...? Just curious,
# everything is normal for me", "What is foot drop? The leaflet mentions it, I do not
# have it." The reply ends the sentence ("I don't have it checked" is no reply); unlike
# the replies above, it counts after the client's own question too.
_NOT_MINE_AFTER = startset.compile(
    r"(?:[^.;!]|\.(?=[0-9])){0,80}?\?\s*(?:[^.;!?]{0,40}?[,;:-]\s*)?(?:but |and |as )?"
    r"(?:i (?:do not|don'?t|dont) have (?:one|it|that|them|any)(?:,? (?:the|a) (?:leaflet|"
    r"form|poster|website|article) (?:just )?(?:mentioned|mentions|said|asks about) it)?|"
    r"i have none|i'?ve (?:not|never) had (?:it|one|that|them)|"
    r"mine (?:are|is) (?:all )?(?:fine|ok|okay|normal|good)|"
    r"everything(?:'s| is) (?:normal|fine|ok|okay)(?: for me| with me| down there)?|"
    r"i sleep fine|(?:it'?s |it has )?not happened(?: so far| yet)?|"
    r"i have no (?:back |neck |chest )?pain|nothing to report(?: here)?|"
    r"(?:just |only )?asking for (?:a leaflet|a poster|my (?:class|course|studies|essay))|"
    r"asking (?:because|as|since) (?:my|a) (?:friend|mate|colleague|sister|brother|mum|dad|"
    r"partner|wife|husband|neighbou?r)[^.;!?]{0,50}?)\s*[.!]*\s*$")


def _answered_after(after: str) -> bool:
    """``_ANSWER_AFTER.match(after)``: a branch that needs a character ``after`` lacks
    is not tried (the alternatives of a match from the start: one matches or none)."""
    for pattern, needs in _ANSWER_AFTER_EACH:
        if (needs is None or needs in after) and pattern.match(after):
            return True
    return False


# "Stiff first thing, fine by lunchtime" is a daily pattern (inflammatory back pain), not a
# resolution: a morning, then "fine" / "gone" by a time of day, is a recurrence (_RECUR).
_BY_TIME_OF_DAY = (r"(?:lunch\w*|midday|noon|mid-?morning|late morning|the afternoon|"
                   r"(?:about |around )?(?:[0-9]{1,2} ?am|(?:[0-9]{1,2}|ten|eleven|twelve) "
                   r"o'?clock))(?![\w])")
_RESOLVED = startset.compile(
    # "resolved after 90 s seated rest": relief within minutes of rest, not an episode over
    r"(?<![\w])(?:resolved(?! (?:fully |completely )?(?:after|within|in|with) (?:about |a |an |"
    r"a few |a couple of |[0-9]+ ?)?(?:s|secs?|seconds?|mins?|minutes?)(?![\w]))"
    # "resolved c rest", "resolved on stopping": the relief by rest, not an episode over
    r"(?! (?:with|c|on|by|w/?) (?:seated |sitting |standing |a |some )?(?:rest|resting|"
    r"stopping|sitting down)(?![\w]))|"
    # ("recovered after five minutes seated": breath back after a rest, not an episode over)
    r"recovered(?! (?:after|within|in) (?:a |an |a few |a couple of |[0-9]+ |two |three |"
    r"four |five |ten )?(?:secs?|seconds?|mins?|minutes?))|"
    r"full recovery|fully better|all better|much better now|"
    # Irish English "back is grand": fine; "the swelling has gone completely"
    r"(?:is|was|are|were|it'?s|that'?s|all|feeling|feels|felt) grand(?= *$|[,.;!])|"
    r"(?:swelling|pain|ache|aching|numbness|tingling|symptoms?|it|dizziness|stiffness|"
    r"tightness|cramps?|soreness) (?:has|have|had) (?:now )?gone (?:completely|totally|"
    r"entirely)(?= *$|[,.;!])|"
    # "couldn't walk on it then but it's been fine for months now"
    r"(?<!not )(?<!not been )(?<!never )(?<!never been )(?:fine|ok|okay|normal|good) "
    r"(?:for|these|the last|the past) (?:weeks|months|years|ages)(?: now)?"
    r"(?![^.;!?]{0,40}(?<![\w])(?:until|till|but|except)(?![\w]))|"
    r"healed|settled down|now settled|settled now|has settled|"
    # "feeling and colour came back straight away": what was lost is back
    r"(?:feeling|colou?r|sensation|strength|power|circulation) (?:has |have |had |all |fully )?"
    r"(?:came|come|comes) back|"
    # "it cleared after physio": an episode treated and over (not "cleared after a
    # minute's rest", relief within an episode)
    r"(?:it|they|that|all|both|symptoms) cleared(?: up)? (?:after|with|following) (?:the |a |an |"
    r"some |my |his |her )?(?:physio\w*|treatment|antibiotics|surgery|op|operation|injections?|"
    r"course|tablets|steroids|rehab)(?![\w])|"
    r"settled (?:by )?the (?:next|following) (?:day|week|morning)|grown out of|grew out of|"
    r"gone now|now gone|gone today|gone by|already gone|gone already|"
    # "off steroids since", "off the tablets now": stopped
    r"off (?:the |all |my |his |her )?(?:steroids|pred\w*|\w+sone|tablets|pills|meds|"
    r"medication|medicines?|injections|chemo) (?:since|now)|"
    # "tingly after sitting cross-legged, gone after a minute": passed within minutes
    r"(?:strength|power) (?:is |was |feels )?(?:fine|normal|back)|(?:fine|normal|okay|good) today|"
    r"gone (?:after|within|in) (?:a |an |a few |a couple of |[0-9]+ )?(?:seconds?|minutes?|"
    r"mins?)(?!(?:'s?)? (?:standing|sitting|stood|sat|of (?:rest|stopping|standing|sitting)|"
    r"rest|resting|stopping))|fine (?:the )?(?:next|following) (?:day|morning)|"
    r"gone (?:by )?the (?:next|following) (?:day|morning)|"
    # "numbness down below from the epidural, gone the same day"
    r"(?:gone|went|settled|cleared|wore off)(?: away| off| up)? "
    r"(?:by |on |within |later )?(?:the )?same (?:day|evening|night)|"
    # "arms and legs have all gone weak" is not "all gone"
    r"all gone(?! (?:weak|numb|dead|floppy|heavy|stiff|funny|wrong|to pot))|"
    r"(?<!never )(?<!not )went away|it all went|"
    r"fine by|recovers by|"
    r"(?:no|without) (?:further |more )?(?:problems?|issues?|symptoms?|episodes?|recurrence|"
    r"trouble|pain|complaints?) (?:since|now|after)|(?:fine|normal|ok|okay|(?<!as )well|good|"
    r"none|clear|nothing) since|nothing found|"
    # "not yet investigated" is the opposite of a finding
    # "to be investigated", "being investigated": a plan, not a finding
    r"(?<!not yet )(?<!not been )(?<!never been )(?<!not )(?<!to be )(?<!being )"
    r"(?<!yet to be )investigated|"
    r"all clear|discharged(?! (?:home )?with (?!nothing|no |all clear)| on )|back to normal|"
    r"never happened (?:again|since)|"
    # "GP checked, all cleared up now", "drained and treated, all cleared and I'm back
    # running", "I've been walking normally since" (not "the rash has cleared up")
    r"(?<![\w])(?:all|it|it'?s|it has|they'?ve|they have|that'?s|that has) cleared up|"
    r"all cleared(?! (?:me|him|her|them|to|for))|"
    r"(?:walking|moving|running|breathing|sleeping) normally since|"
    r"(?:all )?(?:good|fine|ok|okay|normal|gone) (?:again )?(?:by )?the next day|"
    r"gone (?:completely|totally|entirely) since|(?:both|all) gone(?=[,.;]| now| since)|"
    # "physio signed her off in May and she now walks 5 km a day without trouble"
    r"signed (?:her|him|me|them) off(?! (?:work|sick))(?= [^.;!?]{0,60}?(?:without|no) "
    r"(?:trouble|problems?|issues?|pain|difficulty))|"
    # "weaker over a set of push-ups ... fine again after a rest": an effort's fatigue
    r"(?:were|was) (?:fine|normal|ok|okay) again|"
    r"now normal|(?:normal|fine|ok|okay|better) now(?! (?:i|he|she|they|we) (?:have|has|had|need|"
    # "did the housework fine now I have to sit down": "now" starts the change
    r"needs|can'?t|cannot|struggle|struggles|get|gets)(?![\w]))|normally now|no issues now|"
    r"back to (?:(?:his|her|my|their|usual|normal|pre-?morbid) )?baseline|"
    r"not now|not since|none since|not any ?more|"
    # "in the past week" is recent, not resolved
    r"in the past(?! (?:weeks?|few|couple|months?|fortnight|days?|[0-9]+|two|three|four|"
    r"five|six|hours?))|"
    # "can no longer lift", "no longer feel when my bladder is full": a function lost
    r"(?<!can )(?<!could )no longer(?! (?:able|fits?|feel (?:when|the|my|it|anything|myself)|"
    r"sense|know when|tell when|notice when|get (?:the |any )?(?:urge|feeling|sensation)|"
    r"have (?:any |the )?(?:control|feeling|sensation|power|strength|urge|use)))|"
    r"cleared by|cleared(?= *$)|cleared (?:up )?(?:completely|fully)|"
    r"(?:walk\w*|run\w*|cycl\w*|manag\w*) [^.;!?,]{0,25}?pain[- ]free(?= *$)|"
    r"(?:been|am|i'?m|now) pain[- ]free (?:ever )?since(?= *$)|"
    r"since [^.;!?,]{1,30}? (?:she'?s|he'?s|i'?m|i am|she is|he is) "
    r"(?:fine|ok|okay|good|well)(?= *$)|"
    # "murmur since a kid, never had it sorted": still there
    r"(?<!never had it )(?<!never got it )(?<!not )(?<!never )(?<!hasn't )(?<!haven't )"
    r"(?<!hasnt )(?<!havent )(?<!not yet )(?<!isn't )(?<!wasn't )(?<!never fully )"
    r"(?<!not fully )(?<!never really )(?<!not really )sorted(?: with| out| by| it|$)|"
    r"(?<!not )all sorted|sorted (?:once|when|after) (?:it|they|the|i|we|he|she)|"
    # "sorted now", "that's long sorted", "a new mattress fixed it" (not "nothing fixed it")
    r"(?<!not )(?<!never )(?<!isn't )(?<!wasn't )sorted now|long sorted|"
    r"(?<!nothing )(?<!nobody )(?<!no one )(?<!never )(?<!not )(?<!n't )(?<!nt )"
    r"(?:fixed|cured) it(?![\w])(?! (?:for a (?:while|bit|few|day|week)|temporarily|briefly))|"
    # an episode told with its end: "cleared within a week", "better within a week",
    # "stopped once the antibiotics worked", "no dizziness since", "fully stable by April"
    r"(?:cleared|cleared up|better|settled|(?<!weight )(?<!kg )(?<!stone )gone|recovered|fine) "
    r"(?:within|in|after) "
    r"(?:a|one|two|three|[0-9]+|a few|a couple of) (?:days?|weeks?|fortnight|months?)"
    # ("better within two days of ibuprofen": a response to a drug, a feature)
    r"(?! (?:of|on|with) (?:ibuprofen|naproxen|nsaids?|anti-?inflammatories|diclofenac|"
    r"tablets|pills|meds|medication|painkillers|steroids))|"
    r"cleared up (?:with|by|after)|"
    # "settled fully by November", "settled completely after his inhalers were changed",
    # "has now settled", "the numbness is almost gone"
    r"(?:settled|cleared|resolved|gone|recovered)(?: fully| completely)? by (?:january|"
    r"february|march|april|may|june|july|august|september|october|november|december|"
    r"christmas|easter|the (?:summer|autumn|winter|spring))(?![\w])|"
    r"(?:settled|cleared|resolved)(?: fully| completely) (?:after|once|when)(?![\w])|"
    r"settled fully|fully settled|has now settled|now settled completely|"
    r"(?:almost|nearly|virtually|pretty much) gone(?![\w])(?! (?:over|down|under|flying))|"
    # ("stopped once the antibiotics worked"; "stopped when I sat down" is relief by rest)
    r"stopped (?:once|when|after) (?:the |my |his |her )?(?:antibiotics|tablets|meds|"
    r"medication|treatment|infection|cold|flu|virus|bug|course)|"
    # ("no better since": not improved; "no worse since": not deteriorating)
    # ("no echo since", "no scan since": a test not done again, not the problem gone)
    r"(?<![\w])no (?!relief|sleep|change|improvement|let ?up|end|better|easier|different|worse|"
    r"(?:echo|ecg|scan|tests?|check|check-?up|review|follow[- ]?up|appointment|x-?ray|mri|"
    r"bloods|investigations?|treatment|doctor|gp)(?![\w]))"
    r"(?:[\w-]+ ){1,2}since"
    r"(?: then)?(?= *(?:$|[,;]))|fully back to (?:my |his |her )?(?:usual|normal)|"
    # "I'm fully back to myself now", "built them back up and I'm stronger than before",
    # "since they took it out I've had no pain whatsoever"
    r"(?:fully |right |totally )?back to (?:myself|himself|herself)|(?:i'?m|i am|he'?s|he is|"
    r"she'?s|she is) (?:now )?(?:stronger|fitter) than (?:before|ever)|since (?:they|the "
    r"(?:surgeon|doctors?)) (?:took|removed|fixed|repaired) [^.;!?]{0,40}?(?:i'?ve|i have|he'?s|"
    r"she'?s|he has|she has) (?:had )?no (?:pain|symptoms?|problems?|trouble|bother)|"
    r"(?:right )?back to (?:my |his |her )?(?:usual|normal)"
    r"(?: self| energy| levels?)?(?: since| by| now| for)|without (?:any )?(?:bother|problems?|"
    r"issues?|trouble) since|(?:has|have|'s|had) been normal since|fully stable (?:by|since)|"
    r"(?:echo|ecg|angiogram|scan|tests?|bloods|x-?ray|mri|ct) (?:was |were |all |came back )?"
    r"(?:normal|clear|fine|negative|nad)|"
    # "the echo last spring was completely normal"
    r"(?:echo|ecg|angiogram|scan|tests?|bloods|x-?ray|mri|ct)[^.;!?,]{0,20}? (?:was|were|came "
    r"back) (?:completely |totally |entirely |all )?(?:normal|clear|fine))(?![\w])")
# "ever since I left uni two years ago": a past time that dates an onset
_SINCE_ONSET = startset.compile(r"(?<![\w])since [^.;!?,]{0,40}?(?:years?|months?) ago(?![\w])")
# A finding still waiting on a specialist ("GP letter 3/2024: intermittent claudication L
# leg, for vascular referral"): the letter's date is when it was found, not when it ended.
_PENDING = startset.compile(r"(?<![\w])(?:for|awaiting|awaits|pending|waiting (?:for|on)|"
                            r"on (?:the )?waiting list for) (?:an? |urgent |routine )?(?:vascular|"
                            r"cardiology|cardiac|neurology|neuro|spinal|specialist|surgical)"
                            r" (?:referral|review|opinion|clinic|appointment|surgery|scan)(?![\w])")
# Compose categories naming a condition one keeps (across sentences: _across_sentences).
_LASTING = frozenset(("OSTEO", "STEROID", "IMMUNO"))
# A time within the last few days ("this morning", "2 hours ago", "at breakfast").
_RECENT = startset.compile(
    r"(?<![\w])(?:today|tonight|this (?:morning|afternoon|evening|week)|last night|yesterday|"
    r"earlier(?: on)?|(?:an?|one|two|three|four|five|few|couple of|several|[0-9]+) "
    r"(?:hours?|hrs?|days?|minutes?|mins?) ago|at (?:breakfast|lunch|dinner|tea|work)|"
    r"(?:on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"just now|just (?:had|happened)|2day|2nite|tonite|last nite)(?![\w])")
_RECUR = startset.compile(r"(?<![\w])(?:again|"
                    # ("feeling and colour came back straight away": the loss is over)
                    r"(?<!feeling )(?<!colour )(?<!color )(?<!sensation )(?<!strength )"
                    r"(?<!power )(?<!circulation )(?:returned|come back|came back)|"
                    r"recurr\w*|back again|"
                    # "it went away but now it's back" (not "back to normal", "back pain")
                    r"(?:now|but) (?:it'?s|it is|they'?re|they are) back"
                    r"(?! (?:to|pain|ache|trouble|problems?)(?![\w]))|"
                    # "arm and jaw aching when I walk to work, gone in a few minutes": it
                    # comes with each effort and eases within minutes (exertional)
                    r"(?:when|whenever|every time|if) (?:i|he|she) (?:walk|climb|run|jog|go up|"
                    r"hurry|rush|cycle|exercise)[^.;!?]{0,60}?(?:gone|goes|went|eases?|"
                    r"settles?|stops?) (?:after|within|in) (?:a |an |a few |a couple of |"
                    r"[0-9]+ )?(?:minutes?|mins?)|"
                    r"flar\w*|(?:first thing|every morning|each morning|mornings|in the morning)"
                    r"[^.;!?]{0,60}?(?:fine|gone|better|ok|okay|eases?|settles?|loosens?(?: up)?) "
                    r"by " + _BY_TIME_OF_DAY + r")(?![\w])")
_OLD = startset.compile(
    # "from 8000 to 2000", "2000 steps": a number, not a year
    r"(?<![\w])(?:(?<!since )(?<!since early )(?<!since late )(?<![0-9] to )(?<![0-9]-)"
    # "osteoporosis dx 2019": the year dates the diagnosis, not the new pain
    r"(?<!dx )(?<!dx in )(?<!diagnosed )(?<!diagnosed in )"
    r"(?<![0-9] - )(?P<year>(?:19|20)[0-9]{2})"
    r"(?! ?(?:steps|m|metres|meters|yards|yds|km|kcal|calories|ml|mg)(?![\w]))|"
    r"(?:[0-9]+|a few|few|several|many|some|two|three|four|five|six|seven|eight|nine|ten|"
    r"twenty) years? (?:ago|back)|years (?:ago|back)|decades? ago|long ago|as a (?:child|kid|"
    r"baby|teen|"
    r"teenager|boy|girl|youngster|student|toddler)|when i was (?:a )?(?:young|little|kid|"
    r"child|teenager|baby|small|1[0-9])|(?<!started )(?<!began )(?<!since )(?<!begun )"
    r"in my (?:teens|twenties|20'?s|youth|childhood)|"  # "started in my twenties": onset
    # "fainted once at 16" (now 41): an age in childhood or the teens; not a clock time
    # ("last night at 11 watching the match", "at 10, stopped by half past")
    r"(?<![\w])(?<!night )(?<!morning )(?<!evening )(?<!afternoon )(?<!today )"
    r"(?<!tonight )(?<!yesterday )at (?:age )?1[0-9](?![\w./:])(?! (?:weeks?|months?|days?|"
    r"hours?|mins?|minutes?|am|pm|noon|o'?clock|kg|km|miles?|reps?|/))(?!,? (?:i'?m|i am|"
    r"he'?s|she'?s|and i'?m|and (?:he|she) is))(?!,? (?:watching|this|last|"
    r"tonight|today|yesterday|at night|in the (?:morning|afternoon|evening|night)|"
    r"(?:it )?(?:stopped|went|eased|settled|passed)(?![\w])))|"
    r"(?<!since )childhood)(?![\w])")  # "since childhood" is still going on
_CONDITIONAL = startset.compile(
    r"(?<![\w])(?:what (?:should|do|would|shall|can) (?:i|we|you) do if|what if|"
    r"what happens if|(?<!not sure )(?<!unsure )(?<!wonder )(?<!wondering )(?<!no idea )"
    r"(?<!don't know )(?<!dont know )(?<!do not know )(?<!not certain )(?<!dunno )(?<!idk )"
    # "screams if you touch the bony bit", "winces if you press it": a reaction to a touch
    r"(?<!screams )(?<!screamed )(?<!yelps )(?<!yelped )(?<!winces )(?<!winced )"
    r"(?<!flinches )(?<!flinched )(?<!jumps )(?<!jumped )(?<!cries )(?<!cried )"
    r"(?<!hurts )(?<!tender )(?<!agony )(?<!painful )(?<!sore )(?<!sensitive )"
    # "I should be obliged if the trainer would note that ...": a formal request
    r"(?<!obliged )(?<!grateful )(?<!appreciate it )"
    # "if anything I'm fitter": rather; "in case you need it, my GP is ...": a courtesy
    # "Tick if applicable:", "Details if relevant -": a form's label, not a what-if
    r"if(?! (?:i|i'm|i've|im|my|me|anything|applicable|relevant)(?![\w]))|"
    r"if (?:i|you|he|she|they|it) ever|if ever|"
    # "go to A&E if my back pain ever comes with ...": a what-if
    r"if (?:my|your|his|her|the|their) (?:[\w']+ ){0,3}?ever|"
    r"should (?:i|you|he|she) ever|"
    # "Mentioning it just in case: low back pain ...": a hedge before the report
    r"in case(?! you need)(?! *[:,-])(?! (?:it|this) (?:matters|helps|is relevant|'?s relevant|"
    r"is important|'?s important))|in the event|"
    # "Told by A&E to come back if my toes ever go cold": a safety net
    r"(?:come|go|coming|going) back (?:in )?if|return if|(?:call|ring|phone) (?:999|111|us|"
    r"them) if|"
    # "the nurse said that if I ever get ...", "warned that if I develop ...": advice
    r"(?:warned|said|told (?:me|us|him|her)|advised|explained)(?: (?:me|us|him|her))? "
    r"that if|should(?=[^.;!?]"
    r"{0,60}(?<![\w])(?:occur|occurs|develop|develops|happen|happens|appear|appears|return|"
    r"returns|recur|recurs|start|starts|become|becomes)(?![\w]))|whenever you|watch(?: out)? for|"
    r"look out for|monitor for|check for|report any|warning signs?|safety[- ]?net\w*|what to do|"
    r"signs of|educated (?:on|about)|advised (?:about|on|re)|told to (?:stop|call|report|"
    r"seek))(?![\w])")
# Safety-net teaching anywhere in the sentence: the symptoms named are what to look out
# for, not what the client has ("stroke signs explained: face drooping, arm weakness").
_EDUCATION = startset.compile(
    r"(?<![\w])(?:(?:signs|symptoms|red flags?|warning signs)(?: of [\w ]{1,30}?)? "
    r"(?:were |was |have been )?(?:explained|taught)|"
    r"(?:red flags?|warning signs|safety ?net(?:ting)?) "
    r"(?:were |was |have been )?(?:discussed|reviewed|given|covered|gone through)|"
    r"explained (?:the )?(?:signs|symptoms|red flags|what to (?:do|look for|watch for))|"
    r"safety ?net(?:ting)? (?:advice|given|explained|discussed)|advice (?:given|leaflet)|"
    r"leaflet (?:given|provided)|(?:knows|aware of) (?:the )?(?:signs|symptoms|what to do)|"
    r"fast (?:acronym|test) (?:explained|taught)|the form asks (?:about|whether|if)|"
    # guidance for staff or clients, not a client's words: "Staff screening prompt: ask
    # about ...", "Cauda equina warning card: if you get ...", "Lifting advice: ...",
    # "Clients with osteoporosis should report ...", "For clients over 60, ask ..."
    r"^(?![^.;!?]*(?<![\w])(?:i|my|me|i'm|i've|im|ive)(?![\w]))\s*(?:staff (?:guidance|prompt|"
    r"screening prompt|reminder)|"
    r"[\w -]{0,30}?(?:warning card|leaflet|poster|checklist)[\w -]{0,20}?\s*:|"
    r"(?:lifting|safety|training|exercise|staff|trainer|coach|coaching|top) "
    r"(?:advice|guidance|tips?)\s*:)|"
    r"^\s*(?:all )?clients? (?:with|who|over|under|aged)[^.;!?]{0,60}?(?:should|must|need to) "
    r"(?:report|tell|mention|let)|"
    r"^\s*for (?:all )?clients?[^.;!?]{0,40}?, (?:ask|check|screen)(?![\w])|"
    # "If my back ever becomes stiff in the mornings, should I stop?", "Would I need to tell
    # you if I ever develop ...?": a symptom that may come, asked about (an "if I run, my
    # knee hurts" trigger names no becoming)
    r"^\s*(?:and |but |so |(?:should|shall|do|can|would|could|will) (?:i|you|we) "
    r"[\w' ]{0,25}?)?if (?:my|i|i'm|im)(?:[\s,]+[\w'/]+){0,8}?[\s,]+"
    r"(?:becomes?|develops?|starts? (?:to|getting)|ever)(?![\w])[^.;!]{0,80}\?|"
    # first-aid teaching and a written policy describe what to look for, not the client
    r"first aid (?:course|training|instructor|trainer|teacher|refresher)|"
    r"teach(?:es|ing)? first aid|"
    r"we (?:check|look|test|assess|screen) for|^\s*(?:our |the )?(?:policy|protocol)(?![\w])|"
    # "if my foot ever goes numb after an injury I know to go to A&E": a hypothetical
    # with what the client would do about it
    r"^\s*(?:and |but |so )?if(?![\w])[^.;!?]{0,90}?(?:i'?d|i would|i will|i'll|i know to|"
    r"i know i (?:should|must|need to)|i should|i must|i need to|i have to|know to) "
    r"(?:(?:go|head|get)(?: straight| immediately| urgently)? to (?:a ?& ?e|a and e|"
    r"(?:the )?hospital|casualty|(?:the |my |a )?(?:gp|doctor)|(?:the )?er|(?:the )?ed|"
    r"urgent care)|get (?:it|them|(?:my|the) \w+) (?:checked|looked at|seen|x-?rayed|scanned)|"
    r"call (?:999|911|112|111|an ambulance)|seek (?:help|medical))|"
    # "they explained that a sudden severe pain ... needs an X-ray; I haven't had anything
    # like it": what was taught, then denied by referring back to it
    r"(?:said|explained|told (?:me|us|him|her)|warned|advised)(?: (?:me|us|him|her))? "
    r"that[^.!?]{0,120}?[;,]\s*(?:but |and )?(?:i'?ve |i have |i )?(?:nothing like "
    r"(?:that|it|this)|(?:haven'?t|have not) (?:had|felt|noticed|experienced) anything like "
    r"(?:it|that|this))(?![\w])(?! before)|"
    # "If I feel unusually tired I will tell the coach": what the client would then do
    r"^\s*(?:and |but |so )?if(?![\w])[^.;!?]{0,90}?(?:i'?d|i would|i will|i'll|i shall) "
    r"(?:tell (?:the|my|you|your|a|someone)|let (?:you|them|someone|the \w+|my \w+) "
    r"know|stop (?:and|training|exercising|the session)|mention it|report it)|"
    # "any worsening weakness - go to A&E": a sentence that opens with "any" and names,
    # within six words, where to go is an instruction, not the client's symptom ("yes",
    # "told", "sent" or "went" in between make it an answer or an event: it still fires).
    r"^\s*any(?:[\s,:=>-]+(?!(?:yes|yeah|told|sent|went)(?![\w]))[\w'/&+]+){1,6}?[\s,:=>-]+"
    r"(?:(?:go|get|come|head|attend|present)(?: straight| immediately| urgently| directly)? to "
    r"(?:a ?& ?e|a and e|the ed|ed|er|the er|emergency|casualty|hospital|urgent care|the gp|"
    r"your gp|gp)|attend (?:a ?& ?e|ed|er|casualty|hospital)|(?:call|ring|phone|dial) "
    r"(?:999|911|112|111|an ambulance|ambulance)|seek (?:urgent |immediate |emergency |medical "
    r"|same[- ]day )+(?:help|attention|advice|care|review))|"
    # "any unexplained weight loss should be reported to your GP": advice, not a symptom
    r"^\s*any(?![\w])[^.;!?]{0,80}?(?:should|must|needs? to) (?:be (?:reported|checked|"
    r"mentioned|seen)|prompt|trigger)|"
    # "she understands that X would be a warning sign", "asked what saddle anaesthesia
    # means", "for an article she is writing": the words are learnt about, not felt
    r"^(?![^.;!?]*(?<![\w])(?:i|my|me|i'm|i've|im|ive)(?![\w]))[^.;!?]*?(?:"
    # "... with back pain means A&E", "seek emergency help": a rule, not a finding
    r"(?<![\w])means? (?:a ?& ?e|a and e|an? emergency|emergency|no training|no exercise|"
    r"calling 999|999|hospital|stop(?:ping)? (?:training|exercise))(?![\w])|"
    r"(?<![\w])seek (?:emergency|urgent|immediate|medical) (?:help|attention|care|advice)|"
    # ("Staff note:" heads what staff saw as often as what they teach: not a heading here)
    r"(?<![\w])(?:trainer briefing|briefing|leaflet read(?: to client)?)\s*:|"
    r"(?<![\w])(?:safety |staff )?briefing (?:given|done)|"
    r"(?<![\w])(?:teaching|training) note\s*:|"
    r"(?<![\w])(?:class |instructor |staff )?reminder(?: on file)?\s*:|"
    r"(?<![\w])(?:discharge |safety )?advice\s*:|"
    # "After any injury, tell someone at once if ...", "... means seeing your GP that day"
    r"(?<![\w])tell (?:someone|us|staff|the staff|your trainer|a member of staff)"
    r"(?: at once| straight away| immediately)? if(?![\w])|"
    r"(?<![\w])means? (?:seeing|calling|going to|ringing|phoning) (?:your |a |the )?"
    r"(?:gp|doctor|999|111|a ?& ?e|ambulance|hospital)(?![\w])|"
    # "FD: told member that sudden severe pain ... needs a GP check", "FD: advised member on
    # steroids to see her GP if any new back pain appears": the desk's advice, first thing
    r"^\s*(?:(?:fd|front desk|reception|trainer|staff)\s*:\s*)?(?:reminded|told|advised|"
    r"explained to|warned)(?: the)? (?:member|client|clients|members|(?:long-haul )?travellers)"
    r"(?: (?:with|on) [\w -]{1,30}?)?(?: that| about| to(?=[^.;!?]{0,80}?(?<![\w])(?:if|any)"
    r"(?![\w])))|"
    # "Back pain advice card:", "Warning from the spinal nurse:", "Staff guide:", "Doctor's
    # advice for over-60s:": a heading over guidance, not the client's words
    r"(?<![\w])(?:advice|warning|info|information) (?:card|sheet|leaflet|handout)"
    r"(?: (?:handed|given|sent) to [\w ]{1,20}?)?\s*:|"
    r"^\s*[\w' -]{0,40}?(?:warning|advice|guide|guidance|instructions)(?: (?:from|for) "
    r"[\w' -]{1,30}?)?\s*:|"
    r"(?<![\w])means? (?:stop(?:ping)? (?:immediately|at once|straight away|and call)|"
    r"go(?:ing)? (?:to|straight to))|(?<![\w])(?:given|gave|handed) (?:the |a )?card|"
    r"^\s*(?:anyone|everyone|any client|all clients) (?:who|with)(?![\w])|"
    # "Desk gave the general advice that ...", "The leaflet says new problems with ..."
    r"(?<![\w])(?:gave|given|give|giving) (?:the |some |our )?(?:general |usual |standard )?"
    r"advice (?:that|about|on)(?![\w])|(?<![\w])(?:leaflet|poster|booklet|handout|"
    r"info sheet|website|guidance) (?:says|said|states|warns|explains)(?![\w])|"
    # (not "please be advised that the applicant ...": a formal way to tell)
    r"(?<![\w])(?:explained|(?<!be )advised|warned|discussed) "
    r"(?:to (?:him|her|them|the client) )?that|"
    # (not "asked if she should still come to class": whether to train, with the finding)
    r"(?<![\w])asked (?:whether|if) (?!(?:she|he|they|i|we) (?:should|can|could|may) (?:still )?"
    r"(?:come|train|do|attend|carry on|exercise|continue|go)(?![\w]))"
    # (nor "asked if chair yoga would be ok": whether a class suits her, with the finding)
    r"(?![^.;!?]{0,40}? (?:would|will)(?: still)? be (?:ok|okay|fine|safe|"
    r"alright|all right|allowed|suitable)(?![\w]))"
    r"[^.;!?]{0,40}? (?:is|are|means|would|could|can|should)"
    r"(?![\w])|"
    r"(?<![\w])(?:trainer|staff|coach|clerk|we) (?:asks?|asked|asking) (?:\w+ )?about|"
    # ("Pharmacist note: asked for a tubigrip for a swollen calf": the client's request)
    r"(?:^|:)\s*(?:asked|checked) (?:\w+ )?(?:about|for(?! (?:a|an|some|something) ))(?![\w])|"
    r"(?<![\w])(?:understands?|knows?|"
    r"aware|explained|told|taught|learnt|learned|advised)(?![\w])[^.;!?]{0,60}? (?:would be|"
    r"is|are|can be|could be|may be|might be) "
    r"(?:a |an )?(?:warning|red flag|danger|alarm|emergency)|(?<![\w])(?:given|gave|handed|"
    r"received|read) (?:the |a |an )?[\w ]{0,30}?(?:leaflet|booklet|handout|information sheet))|"
    r"asked (?:me |us |staff |the trainer )?what [^.;!?]{1,40}? (?:means|meant)|"
    r"for (?:an|a|her|his|my|their) (?:article|essay|assignment|coursework|dissertation|blog|"
    r"podcast|course|exam|presentation)(?![\w]))(?![\w])")
_OTHER_PERSON = startset.compile(
    # ("my brothers foot": a possessive typed without its apostrophe)
    r"(?<![\w])(?:(?:mum|mom|mother|dad|father|brother|sister|grandad|granddad|grandpa|grandfather|"
    r"grandma|granny|gran|grandmother|nan|nana|uncle|aunt|auntie|cousin|son|daughter|wife|"
    r"husband|partner|friend)s?|colleague|neighbou?rs?|flatmates?|housemates?|workmates?|"
    # Irish and Northern English kin, owned ("me da", "our mam"; Polish "mam" is "I have"),
    # and a mate ("me mate's heart", "Mate broke his arm")
    r"(?:me|my|our|ma|his|her|their|yer|your) (?:da|mam|mammy|maw)|mates?|"
    r"team ?mates?|(?:walking |running |gym |training )?(?:buddy|buddies|pal)|parents?|siblings?|"
    r"family history|fhx|fh of|"
    r"family hx|works? with|volunteers?|charity|coach(?:es)? for|cares? for|carer for|"
    # (not the client when small: "told as a baby", "since I was a kid")
    r"runs in (?:my |the )?family|in (?:the |my )?family|family members?|"
    r"(?<!as a )(?<!was a )(?<!since a )(?<!were a )(?:baby|kids?|child)|"
    r"not the client|(?:a |one )?(?:guy|bloke|lady|woman|man|girl|fella) (?:at|from|in) (?:my )?"
    r"(?:work|office|church|class)|"
    r"children|toddler|grandson|granddaughter|niece|nephew|grandchild(?:ren)?|"
    r"looks after)(?![\w])")
_SELF = startset.compile(r"(?<![\w])(?:i|i'm|i've|im|me|my|myself)(?![\w])")
# Relatives, for the two rules below.
_RELATIVE = (r"mum|mom|mother|dad|father|brother|sister|grandad|grandpa|grandfather|grandma|"
             r"granny|gran|grandmother|nan|nana|uncle|aunt|auntie|cousin|son|daughter|wife|"
             r"husband|partner|friend|da|mam|mammy|maw|mate|bro|sis")
# "the leg pain my dad gets when walking": a relative as the subject inside the words.
_OTHER_INSIDE = startset.compile(
    r"(?<![\w])(?:my|his|her|our) (?:" + _RELATIVE + r") (?:(?:who|that) )?"
    r"(?:gets|has|had|suffers|used to get|complains of)(?![\w])")
# A relative as the subject, then a clause about them: "my grandad, who's 82, has ...".
_APPOSITIVE = startset.compile(r"(?<![\w])(?:my|our|his|her|their|"
                               r"(?:the )?(?:client|member)'?s) (?:"
                               + _RELATIVE + r"|grandson|granddaughter)"
                               r", (?:who|whose|aged|age|now|bless)(?![\w])")
# A relative named as a companion or a yardstick is not the subject: "can't keep up with
# my wife on our walk anymore, I'm puffing" (unless a clause about them follows: "with my
# dad, who gets ...").
_COMPANION = startset.compile(r"(?<![\w])(?:with|than|behind|alongside|beside) "
                              r"(?:(?:my|our|the|his|her) )?$")
_ABOUT_THEM = startset.compile(r"(?<![\w])(?:who|he|she|they|he's|she's|his|her|their)(?![\w])")
# Written by a relative for the client ("... - son", "daughter filling in form", "on his
# behalf"): in that sentence, a parent or spouse named is the client.
_PROXY = startset.compile(
    r"(?:(?<![\w])(?:written|filled in|filled out|completed|typed) by (?:his |her |their |my )?"
    r"(?:son|daughter|grandson|granddaughter|wife|husband|partner|carer)|"
    r"(?:^|[-(/,]) *(?:his |her |their )?(?:son|daughter|grandson|granddaughter|wife|husband|"
    r"partner|carer)"
    r"(?: (?:writing|filling (?:this |it |the form )?in|completing (?:this|the form)|here|"
    r"typing|reporting|speaking))?(?: (?:for|on behalf of) (?:him|her|them|my (?:"
    + _RELATIVE + r")))? *\)? *$|"
    r"(?<![\w])(?:son|daughter|grandson|granddaughter|wife|husband|partner|carer|parent|mum|"
    r"mom|mother|dad|father) (?:writing|filling (?:this |it |"
    r"the form )?in|completing (?:this|the form)|typing)(?![\w])|on (?:his|her|their) behalf|"
    r"on behalf of (?:my )?(?:" + _RELATIVE + r")|"
    # "From the client's daughter:", "Her daughter writes:", "Written by the client's wife:"
    r"(?:from|written by) (?:the )?(?:client'?s |her |his |their |[a-z]+'s )?(?:son|daughter|wife|"
    r"husband|"
    r"partner|carer|grandson|granddaughter|mum|mom|mother|dad|father|parents?)(?![\w])|"
    r"(?:client'?s |her |his |their )(?:son|daughter|wife|husband|partner|carer|grandson|"
    r"granddaughter) (?:writes|writing|says|reports)(?![\w])|"
    # "I'm her daughter.", "I am his wife", "I'm his mum filling this in" (a minor's parent)
    r"(?:i'?m|i am) (?:his|her|their) (?:son|daughter|wife|husband|partner|grandson|"
    r"granddaughter|mum|mom|mother|dad|father|parent)(?![\w])"
    # ("I'm her mum, signing up myself": the writer is the client)
    r"(?![^.;!?]{0,30}(?:signing (?:up )?myself|(?:for|by) myself|myself up))|"
    # "Hi, I'm Grace's son. Mom had a liver transplant ...": the client named
    r"(?:i'?m|i am) (?:[a-z]+'s|the client'?s|the member'?s) (?:son|daughter|wife|husband|"
    r"partner|grandson|granddaughter|carer)(?![\w])|"
    # "I'm his carer - Dad gets ...", not "I'm her carer and want to get fitter"
    r"(?:i'?m|i am) (?:his|her|their) (?:main |full[- ]time )?carer *(?:[-:]|,? (?:and )?(?:i'?m )?"
    r"(?:writing|filling|typing))|"
    # "Caller (daughter) says mum has ...", "(carer filled in)", "(answered by carer)",
    # "his wife rang to say he has ...": a relative telling the gym about the client
    r"caller ?\(? ?(?:his |her |their |the client'?s |client'?s |member'?s )?(?:son|daughter|"
    r"wife|husband|partner|carer|mum|mom|mother|dad|father|grandson|granddaughter|niece|"
    r"nephew|sister|brother|aunt|auntie|uncle|friend|neighbou?r)|"
    r"\((?:his |her |their )?(?:carer|son|daughter|"
    r"wife|husband|partner) (?:filled (?:this |it )?in|completed|answered)|(?:answered|filled "
    r"in|completed) by (?:his |her |their |the )?(?:carer|son|daughter|wife|husband|partner)|"
    r"(?:his|her|their) (?:wife|husband|partner|son|daughter|mum|mom|mother|dad|father|carer) "
    r"(?:rang|called|phoned|emailed|messaged|texted) (?:to say|in to say|us to say)|"
    # "For my husband Paul (36): his back ...": a heading naming whom the notes are for
    r"^\s*for (?:my |our )?(?:" + _RELATIVE + r")(?: [a-z]+)?(?: \(\d+\))? *:|"
    # "Daughter reports: Dad has ...": a byline heading the notes
    r"^\s*(?:son|daughter|grandson|granddaughter|wife|husband|partner|carer) (?:reports|says|"
    r"writes|interpreting|translating)\s*:|"
    # "Mum is sitting here with pains ... as we fill this in", "Forwarding as he won't tell
    # you himself", "She's the client, I'm filling this in": the one named is the client
    r"(?<![\w])(?:as|while) (?:we|i) (?:fill|are filling|am filling|type|write) (?:this|it|the "
    r"form) in(?![\w])|(?<![\w])forward(?:ing|ed)? (?:this |it )?(?:as|because|since|for) (?:he|"
    r"she|they|dad|mum|mom)(?![\w])|(?<![\w])(?:she|he)(?:'s| is) the (?:client|member)(?![\w])|"
    # "Through her daughter: mum takes ...", "... Via her son": relayed by a relative
    r"(?<![\w])(?:through|via) (?:her|his|their|the client'?s) (?:son|daughter|grandson|"
    r"granddaughter|wife|husband|partner|carer)(?![\w])|"
    # "... he made me type this", "she asked me to write it": the one named had it written
    r"(?<![\w])(?:he|she|they|dad|mum|mom) (?:made|asked|told|wants|wanted|got) me (?:to )?"
    r"(?:type|write|fill in|send) (?:this|it)(?![\w])|"
    # "I'm filling this in for my mum: ..."
    r"(?:(?:i'?m|i am|am|i) )?(?:filling|completing|writing|write|typing) (?:this |it |the form )?"
    r"(?:in |out )?for (?:my (?:" + _RELATIVE + r"|flatmate|housemate|roommate|colleague|"
    r"workmate|team ?mate|training partner|neighbou?r)|him|her|them)(?![\w]))")
# A full stop ends a sentence, except in a decimal or after a clerk's abbreviation
# ("unexpl. wt loss", "approx. 3 weeks", "pt. c/o").
_ABBREVIATIONS = ("unexpl", "approx", "pt", "wt", "hx", "dr", "mr", "mrs", "vs", r"e\.g", r"i\.e",
                  "wks", "yrs", "hrs", "mins")
# The stop is matched first and the abbreviation looked for behind it (with the stop): the
# pattern then starts with a character class, so the regex engine skips straight to the
# next [!;\n.] instead of trying every lookbehind at every position of the text.
# (" | ", and " / " before a question, part a form's fields: "Q: Any fainting? A: yes
# ... | Q: Cause known? A: no", "Back pain? yes - first time / Previous back problems? none")
_SENTENCE = startset.compile(r" \| | / (?=[\w' -]{1,40}\?)|[!;\n.](?:(?<=[!;\n])[!;\n]*|(?<=\.)"
                       + "".join(rf"(?<!\b{a}\.)" for a in _ABBREVIATIONS) + r"(?![0-9]))")


# ------------------------------------------------------------------ spelling

_TOKEN = startset.compile(r"[a-z]+")
_VOWELS = frozenset("aeiouy")


# Neighbouring keys on a QWERTY keyboard (same row, and the two keys touching it above
# and below): a slip of the finger ("numbmess", "tenfer", "malleilus").
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEAR_KEYS = {
    c: frozenset(
        _KEY_ROWS[r + dr][j]
        for dr, cols in ((-1, (i, i + 1)), (0, (i - 1, i + 1)), (1, (i - 1, i)))
        if 0 <= r + dr < 3
        for j in cols if 0 <= j < len(_KEY_ROWS[r + dr]))
    for r, row in enumerate(_KEY_ROWS) for i, c in enumerate(row)}


def _damerau1(a: str, b: str, keys: bool = False) -> bool:
    """True when ``a`` and ``b`` differ by exactly one insertion, deletion, swap of two
    neighbouring letters or substitution of a vowel for a vowel (with ``keys``, also of
    a letter for a neighbouring key's)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        if a[i + 1:] == b[i + 1:]:
            # one letter for another: a vowel for a vowel ("dizzyness",
            # "incontinance"), or a neighbouring key in a long word ("tenfer");
            # "sharing"/"shaking", "breach"/"breath" are other words
            return (a[i] in _VOWELS and b[i] in _VOWELS) or (
                keys and b[i] in _NEAR_KEYS.get(a[i], ()))
        return (i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i]
                and a[i + 2:] == b[i + 2:])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1:] == shorter[i:]


def _swapped(a: str, b: str) -> bool:
    """True when ``a`` is ``b`` with two neighbouring letters swapped."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] \
        and a[diff[1]] == b[diff[0]]


def _short_slip(a: str, b: str) -> bool:
    """True when the client's ``a`` is the short or common word ``b`` with one slip that
    rarely makes another word: two neighbouring letters swapped, one letter doubled
    ("paain", "chestt"), and in a word of 5+ letters a neighbouring key for a letter
    ("chwst") or a letter left out ("chst", "ankl")."""
    if len(a) == len(b):
        if _swapped(a, b):
            return True
        if len(b) < 5:
            return False
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 and a[diff[0]] in _NEAR_KEYS.get(b[diff[0]], ())
    if len(a) == len(b) + 1:  # a letter doubled
        i = 0
        while i < len(b) and a[i] == b[i]:
            i += 1
        return i > 0 and a[i] == a[i - 1] and a[i + 1:] == b[i:]
    if len(a) + 1 == len(b) and len(b) >= 5:  # a letter left out
        i = 0
        while i < len(a) and a[i] == b[i]:
            i += 1
        return a[i:] == b[i + 1:]
    return False


class Speller:
    """Cheap misspelling repair before matching: a word of the client's that is not a
    word of the lexicon, is one typing slip (Damerau distance 1) from exactly one of the
    lexicon's ``spelling.fuzzy`` words (a letter left out, doubled or added, two letters
    swapped, one vowel for another) and starts with the same letter is read as that
    word ("dizzyness", "swolen", "presure", "incontinance"). Short or common words that
    a slip would turn into another real word take part only through a swap of two
    neighbouring letters (``spelling.swap_only``: "chset", "pian"). Words of the lexicon
    itself ("ladder", "stars") are never changed."""

    def __init__(self, spelling: dict[str, list[str]], known: frozenset[str],
                 variants: dict[str, str] | None = None) -> None:
        # spelling variants (British/American, common misspellings) of the compositional
        # model's vocabulary: read as the listed spelling by both models
        # (a word of either vocabulary itself is never changed: "dizzyness" is listed)
        self.variants = {k: v for k, v in (variants or {}).items()
                         if k.isalpha() and v.isalpha() and k != v and k not in known}
        self.fuzzy = tuple(dict.fromkeys(spelling.get("fuzzy", [])))
        self.swap_only = tuple(dict.fromkeys(spelling.get("swap_only", [])))
        self.known = known | frozenset(spelling.get("keep", []))
        self.by_first: dict[str, list[str]] = {}
        for word in self.fuzzy:
            self.by_first.setdefault(word[0], []).append(word)
        self.swap_by_first: dict[str, list[str]] = {}
        for word in self.swap_only:
            self.swap_by_first.setdefault(word[0], []).append(word)
        self.correct = lru_cache(maxsize=8192)(self._correct)
        # words _correct always leaves alone (a variant is read as its spelling even
        # when it is a known word): most texts hold nothing else
        self.unchanged = self.known - frozenset(self.variants)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["correct"]  # a cache of _correct, made again when read back
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():  # (not __dict__.update: see _LexiconPickler)
            setattr(self, key, value)
        self.correct = lru_cache(maxsize=8192)(self._correct)

    def _correct(self, token: str) -> str | None:
        if token in self.variants:
            return self.variants[token]
        if len(token) < 4 or token in self.known:
            return None
        if len(token) >= 5:
            keys = len(token) >= 6
            near = [w for w in self.by_first.get(token[0], ()) if _damerau1(token, w, keys)]
            if len(near) > 1:  # "wlaking": walking (a swap) before waking (a letter more)
                near = [w for w in near if len(w) == len(token)]
            if len(near) == 1:
                return near[0]
        near = [w for w in self.swap_by_first.get(token[0], ()) if _short_slip(token, w)]
        return near[0] if len(near) == 1 else None

    def repair(self, text: str) -> tuple[str, list[int] | None]:
        """The text with slips repaired, and for each of its positions the position in
        ``text`` (None when nothing was changed)."""
        correct = self.correct
        if all(correct(token) is None
               for token in set(_TOKEN.findall(text)).difference(self.unchanged)):
            return text, None
        out: list[str] = []
        where: list[int] = []
        last = 0
        changed = False
        for m in _TOKEN.finditer(text):
            fixed = self.correct(m.group(0))
            if fixed is None:
                continue
            changed = True
            out.append(text[last:m.start()])
            where.extend(range(last, m.start()))
            out.append(fixed)
            # the repaired word maps onto the original word's span
            span = m.end() - m.start()
            where.extend(m.start() + min(k * span // len(fixed), span - 1)
                         for k in range(len(fixed)))
            last = m.end()
        if not changed:
            return text, None
        out.append(text[last:])
        where.extend(range(last, len(text) + 1))
        return "".join(out), where


@dataclass(frozen=True)
class Entry:
    flag: str
    label: str
    kind: str  # symptom | condition | history | timed
    any: re.Pattern[str] | None
    all: tuple[tuple[re.Pattern[str], ...], ...]
    unless: re.Pattern[str] | None
    implies: tuple[str, ...]
    peers: tuple[str, ...]
    disease: bool
    bp: tuple[int, int] | None
    keys: frozenset[str] | None  # one of these is in every text the entry matches
    # Matched only when no entry in ``fallback_unless_flags`` matched the sentence
    # (e.g. chest pain whose time is unclear is chest pain now: DEC-2, unclear fires).
    fallback: re.Pattern[str] | None = None
    fallback_unless: re.Pattern[str] | None = None
    fallback_unless_flags: tuple[str, ...] = ()
    # PARQ-4: a follow-up sub-question whose words do not name its condition (PAR-Q+ 5e,
    # planning vigorous exercise) is asked only when its section's gate is YES: the
    # mention counts only when one of these answers is YES (structured, or in the words
    # of another current mention).
    requires: tuple[str, ...] = ()
    # A sign whose passing does not end it (a stroke sign that went away is a TIA): a
    # resolution word does not stop a mention whose sentence names a recent time.
    transient: bool = False
    # A pattern that lasts by nature (inflammatory back pain): a past time that dates
    # its onset ("ever since I left uni two years ago") does not make it past.
    ongoing: bool = False
    # A weight told as two readings ("Wt 82 -> 74 kg"): the words count only when the
    # second is at least this many per cent below the first (a gain is not a loss).
    drop: int | None = None
    # Required literals per pattern: the `any` pattern's, and each `all` group's (one
    # set per pattern, None when a pattern guarantees none). A sentence lacking them
    # cannot match, so the entry is not read at all.
    need_any: frozenset[str] | None = None
    need_all: tuple[tuple[frozenset[str] | None, ...], ...] = ()
    need_fallback: frozenset[str] | None = None
    # Every required literal set of each pattern (``_clauses``), the same shape: a
    # pattern one of whose sets the sentence lacks cannot match, and is not run.
    all_any: tuple[frozenset[str], ...] = ()
    all_all: tuple[tuple[tuple[frozenset[str], ...], ...], ...] = ()
    all_fallback: tuple[frozenset[str], ...] = ()


class EntryMasks(NamedTuple):
    any: int
    fallback: int
    all: tuple[tuple[int, ...], ...]


class Mention(NamedTuple):
    flag: str
    field: str
    words: str
    start: int
    end: int


class Alternatives:
    """A word-list pattern's top-level alternatives (from the lexicon, at load time).
    An alternative that cannot match anywhere in a sentence (one of its required
    literals is missing) adds nothing to the alternation's matches at any position:
    a pattern none of whose alternatives can match is not run, and one with a single
    alternative that can is run as that alternative alone - not as a dozen alternatives
    tried at every word of the sentence. Alternative ``k`` is bit ``shift + k`` of a
    sentence's mask of present literals (``_candidates``); ``always`` holds those that
    need no literal. Each alternative is compiled on first use (at most once each).

    With several alternatives left, the whole pattern runs: compiling each subset met
    cost more than it saved over varied text (the tuning phrases met 3,654 subsets),
    and merging the alternatives' own matches in Python no less."""

    __slots__ = ("always", "full", "needs", "shift", "single", "sources")

    def __init__(self, sources: list[str], shift: int, always: int,
                 needs: list[int] | None = None) -> None:
        self.sources = sources
        # per alternative: the sets of literals it needs, all of them (``_clauses``)
        self.needs = needs or [0] * len(sources)
        self.single: list[re.Pattern[str] | None] = [None] * len(sources)
        self.shift, self.full, self.always = shift, (1 << len(sources)) - 1, always

    def alone(self, k: int) -> re.Pattern[str]:
        found = self.single[k]
        if found is None:  # (two threads may both compile it: the same pattern)
            found = self.single[k] = startset.compile(_guarded([self.sources[k]]))
        return found


class Lexicon(NamedTuple):
    entries: tuple[Entry, ...]
    spelling: Speller
    always: tuple[int, ...]  # entries whose first patterns need no literal
    # The literal index as bit masks. Every distinct set of required literals (one per
    # pattern, ``Entry.need_*``) is one bit; a sentence's literals give the mask of the
    # sets it satisfies. ``finder`` (an ahocorasick.Automaton, or None) maps each
    # literal to (entries one of whose ways needs that set alone, ways to match it looks
    # up, sets it is in, alternatives); ``digit`` the same for DIGIT.
    finder: Any
    digit: int
    # the four masks of a literal packed in one int (one OR per literal found), the two
    # small ones lowest so that they are taken out without shifting the whole:
    # entries | ways << entry count | sets << base | alternatives << (base + set count),
    # base = entry count + way count. Every mask of sets or alternatives below (masks,
    # ways, way_sets, unless, Alternatives) is numbered from ``base`` too, so a
    # sentence's packed ORs are its mask of sets as they come (bits below base unused).
    packing: tuple[int, int]  # (entry count, the ways' bits in place)
    always_mask: int  # ``always`` as a mask of entries
    ways: tuple[tuple[int, ...], ...]  # per entry: the sets each way to match needs
    # every entry's ways numbered in one row (the ways' bits of ``packing``):
    # the sets each needs, and the bit of its entry
    way_sets: tuple[int, ...]
    way_entries: tuple[int, ...]
    masks: tuple[EntryMasks, ...]  # per entry: the sets each pattern needs (0: none)
    rarest: tuple[EntryMasks, ...]  # per entry: each pattern's rarest set alone
    labels: dict[str, str]
    by_flag: dict[str, Entry]  # built once: looked up for every mention
    diseases: frozenset[str]  # flags of named diseases (PAR-Q+ 10c counts them)
    # id() of a word-list pattern -> its top-level alternatives (patterns of one
    # alternative are not in it): see _matches
    alternatives: dict[int, Alternatives]
    # per entry: the sets its ``unless`` pattern needs (0: none, or no pattern)
    unless: tuple[int, ...] = ()
    index: dict[str, int] = {}  # flag -> entry index
    # per entry: the rarest sets of the first patterns of its `all` groups, ORed (-1: one
    # needs none): a sentence with none of them runs no group (_spans)
    group_firsts: tuple[int, ...] = ()
    # per entry: each of those rarest sets -> the groups it is the first pattern's set
    # of, in order (None where group_firsts is -1): _spans looks at those groups only
    group_order: tuple[dict[int, tuple[int, ...]] | None, ...] = ()


@lru_cache(maxsize=1)
def labels() -> dict[str, str]:
    """Each flag's label, read without compiling the lexicon (which takes seconds): for
    pages that only name flags, such as the staff review."""
    raw = json.loads(resources.files(__package__).joinpath(LEXICON_FILE)
                     .read_text(encoding="utf-8"))
    return {e["flag"]: e["label"] for e in raw["entries"]}


_COMPILING = threading.Lock()


def compiled_lexicon() -> Lexicon:
    """lexicon(), compiled by one thread while any other caller here waits for it
    (lexicon() alone lets two threads compile at once, each for seconds). For code that
    must not compile it at a bad moment: a web process warms it in a thread at start,
    and a request calls this before it takes a database write lock."""
    with _COMPILING:
        return lexicon()


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The compiled lexicon: this machine's kept copy when the same code and data made
    it (inscope_clinical.compiled_cache), else compiled from the package data (seconds
    of CPU) and kept."""
    file_name = compiled_cache.name("lexicon")
    lex = compiled_cache.read(file_name, _unpickled)
    if lex is None:
        lex = _compiled()
        kept = _to_keep(lex)
        if kept is not None:
            compiled_cache.write(file_name, lambda out: _LexiconPickler(
                out, protocol=pickle.HIGHEST_PROTOCOL).dump(kept))
    return lex


class _LexiconPickler(pickle.Pickler):
    """Patterns are kept as their source: read back through startset.compile (the
    search start set is rebuilt; pickle's own way would compile without it)."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, re.Pattern):
            return startset.compile, (obj.pattern, obj.flags & ~re.UNICODE)
        if type(obj) is Entry:  # made by its constructor, as compiled: pickle's own way
            # fills a dict afterwards, whose attributes then read slower (about 0.5 %
            # of a screen)
            return Entry, tuple(getattr(obj, f.name) for f in dataclasses.fields(Entry))
        return NotImplemented


def _to_keep(lex: Lexicon) -> tuple[Lexicon, list[tuple[re.Pattern[str], Alternatives]]] | None:
    """What is kept of ``lex``: its ``alternatives`` (keyed by id() of patterns, which a
    process of its own will not share) as (pattern, alternatives) pairs."""
    patterns = word_list_patterns(lex)
    if not lex.alternatives.keys() <= patterns.keys():
        return None  # a pattern kept elsewhere: not kept at all
    pairs = [(patterns[i], alts) for i, alts in lex.alternatives.items()]
    return lex._replace(alternatives={}), pairs


def word_list_patterns(lex: Lexicon) -> dict[int, re.Pattern[str]]:
    """Every pattern of every entry, by id() (the key of ``Lexicon.alternatives``)."""
    return {id(p): p for e in lex.entries
            for p in (e.any, e.fallback, e.unless, e.fallback_unless,
                      *(p for group in e.all for p in group)) if p is not None}


def _unpickled(kept: bytes | mmap.mmap) -> Lexicon | None:
    """The lexicon kept in ``kept``, or None when it cannot be read back as it was (two
    patterns of equal source that were two objects came back as one)."""
    try:
        lex, pairs = pickle.loads(kept)  # noqa: S301 - our own file (compiled_cache)
    except Exception:  # a file cut short, or from an incompatible library: compile
        return None
    alternatives = {id(p): alts for p, alts in pairs}
    if len(alternatives) != len(pairs):
        return None
    return lex._replace(alternatives=alternatives)


def _compiled() -> Lexicon:
    """The lexicon compiled from the package data."""
    raw = json.loads(resources.files(__package__).joinpath(LEXICON_FILE)
                     .read_text(encoding="utf-8"))
    macros: dict[str, str] = raw["macros"]
    entries = []
    split: list[tuple[re.Pattern[str], list[str]]] = []  # patterns and their alternatives
    for e in raw["entries"]:
        groups = tuple(tuple(_compile([c], macros) for c in group)  # type: ignore[misc]
                       for group in e.get("all", []))
        any_ = _compile(e.get("any", []), macros)
        fallback = _compile(e.get("fallback", []), macros)
        unless = _compile(e.get("unless", []), macros)
        split += [(pattern, _branches(terms, macros, pattern is unless))
                  for pattern, terms in (
            (any_, e.get("any", [])), (fallback, e.get("fallback", [])),
            (unless, e.get("unless", [])),
            *((p, [c]) for g, cs in zip(groups, e.get("all", []), strict=True)
              for p, c in zip(g, cs, strict=True))) if pattern is not None]
        firsts = ([any_] if any_ else []) + [g[0] for g in groups]
        keys: frozenset[str] | None = frozenset()
        for pattern in firsts:
            need = _need(pattern)
            keys = None if need is None or keys is None else keys | need
        entries.append(Entry(
            need_any=_need(any_), need_fallback=_need(fallback),
            need_all=tuple(tuple(_need(p) for p in group) for group in groups),
            all_any=_every(any_), all_fallback=_every(fallback),
            all_all=tuple(tuple(_every(p) for p in group) for group in groups),
            flag=e["flag"], label=e["label"], kind=e.get("kind", "symptom"),
            any=any_, all=groups,  # type: ignore[arg-type]
            unless=unless,
            implies=tuple(e.get("implies", [])), peers=tuple(e.get("peers", [])),
            disease=bool(e.get("disease")),
            bp=tuple(e["bp_at_least"]) if e.get("bp_at_least") else None,  # type: ignore[arg-type]
            keys=keys, fallback=fallback,
            fallback_unless=_compile(e.get("fallback_unless", []), macros),
            fallback_unless_flags=tuple(e.get("fallback_unless_flags", [])),
            requires=tuple(e.get("requires", [])),
            transient=bool(e.get("transient")), ongoing=bool(e.get("ongoing")),
            drop=e.get("drop_at_least")))
    literals: dict[str, set[int]] = {}  # literal -> entries that need it somewhere
    for i, entry in enumerate(entries):
        for need in (entry.need_any, entry.need_fallback,
                     *(k for group in entry.need_all for k in group)):
            for key in need or ():
                literals.setdefault(key, set()).add(i)
    for entry in entries:  # looked for too (the sets they are in), not as users
        for clauses in (entry.all_any, entry.all_fallback,
                        *(k for group in entry.all_all for k in group)):
            for key in (k for clause in clauses for k in clause):
                literals.setdefault(key, set())
    always = tuple(i for i, entry in enumerate(entries) if entry.keys is None)
    comp = compose.compiled()
    known = frozenset(re.findall(r"[a-z]{3,}", json.dumps(raw).lower())) | comp.words
    speller = Speller(raw.get("spelling", {}), known, comp.variants)
    bits = _first_bits(entries)
    rarest = tuple(_masks(entry, bits) for entry in entries)  # which entries are read
    ways = tuple(_ways(entry, m) for entry, m in zip(entries, rarest, strict=True))
    masks = tuple(_every_mask(entry, m, bits) for entry, m in zip(entries, rarest, strict=True))
    unless = tuple(_clause_mask(list(_every(entry.unless)), bits) for entry in entries)
    numbered = [(i, way) for i, entry_ways in enumerate(ways) for way in entry_ways]
    base = len(entries) + len(numbered)  # where sets and alternatives are numbered from
    alternatives, by_literal, count = _alternatives(split, bits, base)  # (after every set)
    for key in by_literal:
        literals.setdefault(key, set())
    for need in bits:  # (the alternatives' own sets included)
        for key in need:
            literals.setdefault(key, set())
    finds = _finds(numbered, bits, literals)
    sets_of: dict[str, int] = {}  # literal -> the bits of the sets it is in
    for need, bit in bits.items():
        for key in need:
            sets_of[key] = sets_of.get(key, 0) | bit
    index = {}
    for key, users in literals.items():
        sets = sets_of.get(key, 0)
        sure = sum(1 << i for i in users if any(w and w & sets == w for w in ways[i]))
        # a way whose entry this literal alone makes sure is never checked when it is
        # found (_candidates skips ways of sure entries): not looked up (most of them)
        found = looked_up = finds.get(key, 0)
        while looked_up:
            low = looked_up & -looked_up
            looked_up ^= low
            if sure >> numbered[low.bit_length() - 1][0] & 1:
                found ^= low
        index[key] = (sets, by_literal.get(key, 0), found, sure)
    packing = (len(entries), ((1 << len(numbered)) - 1) << len(entries))
    packed = {key: sure | found << len(entries) | (sets | alts << len(bits)) << base
              for key, (sets, alts, found, sure) in index.items()}
    _literals.cache_clear()
    return Lexicon(tuple(entries), speller, always, _finder(packed),
                   packed.get(DIGIT, 0), packing, sum(1 << i for i in always),
                   tuple(tuple(way << base for way in w) for w in ways),
                   tuple(way << base for _, way in numbered),
                   tuple(1 << i for i, _ in numbered),
                   tuple(_shifted(m, base) for m in masks),
                   tuple(_shifted(m, base) for m in rarest),
                   {e.flag: e.label for e in entries}, {e.flag: e for e in entries},
                   frozenset(e.flag for e in entries if e.disease), alternatives,
                   tuple(m << base for m in unless),
                   {e.flag: i for i, e in enumerate(entries)},
                   tuple(_group_firsts(m) << base for m in rarest),
                   tuple(_group_order(m, base) for m in rarest))


def _first_bits(entries: list[Entry]) -> dict[frozenset[str], int]:
    """The sets of required literals of the patterns every read of an entry checks (its
    `any` terms, its fallback, the first pattern of each `all` group) numbered first, so
    that their masks are small ints: an AND costs the length of the shorter int, and
    _spans checks a mask per group of every candidate (issue 13)."""
    bits: dict[frozenset[str], int] = {}
    for entry in entries:
        needs = [entry.need_any, entry.need_fallback,
                 *(group[0] for group in entry.need_all if group)]
        clauses = [*entry.all_any, *entry.all_fallback,
                   *(c for group in entry.all_all if group for c in group[0])]
        for clause in [n for n in needs if n is not None] + clauses:
            bits.setdefault(clause, 1 << len(bits))
    for entry in entries:  # then the rarest set of each later pattern (the ways' masks)
        for need in (n for group in entry.need_all for n in group[1:]):
            if need is not None:
                bits.setdefault(need, 1 << len(bits))
    return bits


def _alternatives(split: list[tuple[re.Pattern[str], list[str]]],
                  bits: dict[frozenset[str], int], base: int
                  ) -> tuple[dict[int, Alternatives], dict[str, int], int]:
    """The alternatives of every pattern that has more than one, numbered from bit
    ``len(bits)`` on (after their own sets of required literals are added to
    ``bits``; in the Alternatives, from ``base`` on as every set is); and per literal
    of an alternative's rarest set, the alternatives (as bits counted from there) whose
    rarest set it is in. Returns those and the count."""
    parsed = {id(pattern): (pattern, [_sre_parse.parse(_guarded([s])) for s in sources])
              for pattern, sources in reversed(split) if len(sources) > 1}
    # Where the bits go decides what a sentence's checks cost (an AND costs the shorter
    # int, a shift the bits above it): the patterns whose alternatives common literals
    # find (short ones, "the", "no") are looked at in most sentences, so their other
    # sets get the lowest set bits and their alternatives the highest bits of all.
    found_by = {key: _found_by(alts) for key, (_, alts) in parsed.items()}
    common = sorted(parsed, key=found_by.__getitem__)
    needs = {key: [_clause_mask(_clauses(items), bits) for items in parsed[key][1]]
             for key in common}
    shift = len(bits)
    out: dict[int, Alternatives] = {}
    by_literal: dict[str, int] = {}
    count = 0
    for pattern, sources in sorted(split, key=lambda ps: -found_by.get(id(ps[0]), 0)):
        if id(pattern) in out or id(pattern) not in parsed:
            continue
        always = 0
        rest = needs[id(pattern)]
        for k, items in enumerate(parsed[id(pattern)][1]):
            need = _required(items)
            if need is None:
                always |= 1 << k
            else:  # found by its rarest set's literals: only the other sets are checked
                rest[k] &= ~bits.get(need, 0)
            for key in need or ():
                by_literal[key] = by_literal.get(key, 0) | 1 << (count + k)
        out[id(pattern)] = Alternatives(sources, base + shift + count, always,
                                        [need << base for need in rest])
        count += len(sources)
    return out, by_literal, count


def _found_by(alternatives: list[Any]) -> int:
    """How common the literals that find a pattern's alternatives are: the length of
    the shortest literal of any alternative's rarest set (0: one needs none)."""
    lengths = [min(_weight(key) for key in need) if need else 0
               for need in (_required(items) for items in alternatives)]
    return min(lengths)


def _finds(numbered: list[tuple[int, int]], bits: dict[frozenset[str], int],
           literals: dict[str, set[int]]) -> dict[str, int]:
    """Per literal, the ways to match (as a mask of their numbers in ``numbered``, of
    (entry, sets needed)) that _candidates checks when the literal is found. A way
    matches only when each of its sets of required literals is found: its rarest set
    (the longest shortest literal) is enough to look it up by, so a common literal
    ("in", "on") does not send every entry that needs it somewhere to the check. A way
    that needs no literal at all is looked up by every literal its entry needs (the
    check then passes: found as an entry touched by any of its literals always was)."""
    by_bit = {bit: need for need, bit in bits.items()}
    finds: dict[str, int] = {}
    for k, (i, way) in enumerate(numbered):
        if not way:
            keys = {key for key, users in literals.items() if i in users}
        else:
            sets = [by_bit[1 << b] for b in range(way.bit_length()) if way >> b & 1]
            keys = max(sets, key=_rareness)
        for key in keys:
            finds[key] = finds.get(key, 0) | 1 << k
    return finds


def _rareness(keys: frozenset[str]) -> tuple[int, int]:
    """How rare a set of literals is taken to be (``_required``'s choice): the longer
    its shortest literal, then the fewer literals, the rarer."""
    return min(_weight(key) for key in keys), -len(keys)


def _clause_mask(clauses: list[frozenset[str]], bits: dict[frozenset[str], int]) -> int:
    mask = 0
    for clause in clauses:
        mask |= bits.setdefault(clause, 1 << len(bits))
    return mask


@cache
def _literals(source: str) -> tuple[frozenset[str] | None, tuple[frozenset[str], ...]]:
    """``_required`` and ``_clauses`` of one pattern source, parsed once: the lexicon's
    build asks for both, several times per pattern (cleared when the build is done)."""
    items = _sre_parse.parse(source)
    return _required(items), tuple(_clauses(items))


def _need(pattern: re.Pattern[str] | None) -> frozenset[str] | None:
    return _literals(pattern.pattern)[0] if pattern is not None else None


def _every(pattern: re.Pattern[str] | None) -> tuple[frozenset[str], ...]:
    return _literals(pattern.pattern)[1] if pattern is not None else ()


def _every_mask(entry: Entry, rarest: EntryMasks, bits: dict[frozenset[str], int]
                ) -> EntryMasks:
    """Each pattern's mask of all its required sets, its rarest set's bit included."""
    def mask(clauses: tuple[frozenset[str], ...], bit: int) -> int:
        for clause in clauses:
            bit |= bits.setdefault(clause, 1 << len(bits))
        return bit

    return EntryMasks(mask(entry.all_any, rarest.any), mask(entry.all_fallback, rarest.fallback),
                      tuple(tuple(mask(c, b) for c, b in zip(cs, bs, strict=True))
                            for cs, bs in zip(entry.all_all, rarest.all, strict=True)))


def _masks(entry: Entry, bits: dict[frozenset[str], int]) -> EntryMasks:
    """The bit of each pattern's set of required literals (0: it needs none)."""
    def bit(need: frozenset[str] | None) -> int:
        if need is None:
            return 0
        return bits.setdefault(need, 1 << len(bits))

    return EntryMasks(bit(entry.need_any), bit(entry.need_fallback),
                      tuple(tuple(bit(k) for k in group) for group in entry.need_all))


def _ways(entry: Entry, masks: EntryMasks) -> tuple[int, ...]:
    """The sets of required literals each way an entry can match needs, together: its
    `any` terms, its fallback, or every pattern of one `all` group."""
    ways = [masks.any] if entry.any is not None else []
    ways += [masks.fallback] if entry.fallback is not None else []
    return tuple(ways) + tuple(_union(group) for group in masks.all)


def _group_firsts(rarest: EntryMasks) -> int:
    firsts = [group[0] for group in rarest.all if group]
    return -1 if 0 in firsts else _union(tuple(firsts))


def _group_order(rarest: EntryMasks, base: int) -> dict[int, tuple[int, ...]] | None:
    if _group_firsts(rarest) == -1:
        return None
    order: dict[int, tuple[int, ...]] = {}
    for j, group in enumerate(rarest.all):
        if group:
            order[group[0] << base] = (*order.get(group[0] << base, ()), j)
    return order


def _groups_hit(hits: int, order: dict[int, tuple[int, ...]] | None, count: int
                ) -> Iterable[int]:
    """The groups (in order) whose first pattern's rarest set is among ``hits``."""
    if order is None:
        return range(count)
    if not hits & (hits - 1):  # (the usual case: one)
        return order[hits]
    found: list[int] = []
    while hits:
        low = hits & -hits
        hits ^= low
        found += order[low]
    return sorted(found)


def _union(group: tuple[int, ...]) -> int:
    out = 0
    for bit in group:
        out |= bit
    return out


def _shifted(masks: EntryMasks, base: int) -> EntryMasks:
    return EntryMasks(masks.any << base, masks.fallback << base,
                      tuple(tuple(m << base for m in group) for group in masks.all))


def _finder(index: dict[str, int]) -> Any:
    """One Aho-Corasick automaton over the required literals (the digit pseudo-literal
    is looked for by _candidates itself): a sentence is read once for all of them."""
    finder = ahocorasick.Automaton()
    for key in sorted(index):
        if key != DIGIT:
            finder.add_word(key, index[key])
    if len(finder) == 0:
        return None
    finder.make_automaton()
    return finder


def _candidates(lex: Lexicon, sentence: str) -> tuple[int, int]:
    """The entries the sentence may match, as a mask (bit i: entry i; read in that
    order): those whose required literals it contains for the `any` terms, the
    fallback, or every pattern of some `all` group; and the mask of the sets of
    required literals it satisfies (-1 would mean all of them)."""
    found_all = 0
    if lex.finder is not None:
        for _, packed in lex.finder.iter(sentence):
            found_all |= packed
    if _ANY_DIGIT.search(sentence):
        found_all |= lex.digit
    entries, ways_in_place = lex.packing
    satisfied = found_all  # sets, and alternatives (from bit ``base`` on: Lexicon)
    looked_up = (found_all & ways_in_place) >> entries
    sure = found_all & ((1 << entries) - 1)  # entries one literal alone lets match
    way_sets, way_entries = lex.way_sets, lex.way_entries
    while looked_up:  # the ways the literals found look up: does one match?
        low = looked_up & -looked_up
        looked_up ^= low
        k = low.bit_length() - 1
        if not sure & way_entries[k] and way_sets[k] & satisfied == way_sets[k]:
            sure |= way_entries[k]
    maybe = lex.always_mask & ~sure
    ways = lex.ways
    while maybe:  # entries needing no literal (none at present): does a way match?
        low = maybe & -maybe
        maybe ^= low
        for way in ways[low.bit_length() - 1]:  # (a loop: no generator per entry)
            if way & satisfied == way:
                sure |= low
                break
    return sure, satisfied


# ------------------------------------------------------------------ reading one text


# A clerk's anatomical abbreviation before what it qualifies ("post. border lat. malleolus",
# "med. mall."): its stop is read as a space (same length, so offsets hold), not as the end
# of a sentence or a clause.
_ANATOMY_STOP = startset.compile(r"(?<![\w.])(lat|med|post|ant|prox|dist|inf|sup|mall)\.(?= ?(?:"
                                 r"mall|malleol|border|edge|aspect|side|tip|base|fib|tib|ankle|foot|"
                                 r"lig|atfl|[0-9]))")


# A clinician's "malleoli non-tender", "nontender", "non-inflammatory LBP": read as "not
# tender" / "no tender" (the same length, so the words shown are the writer's own).
_NON = startset.compile(r"(?<![\w])non(?:[- ]|(?=[ti]))(?=(?:tender|inflammatory)(?![\w]))")


_ANSWER_LABEL = re.compile(r"(\?\s*)a\.(?=\s)")
# "Dad (not me) has Parkinson's": the bracket would cut the subject off its clause
_NOT_ME = re.compile(r"\(not (?:me|myself|the client|the member|our client)\)")


def _non(m: re.Match[str]) -> str:
    return "not " if len(m.group(0)) == 4 else "no "


_AM_PM = startset.compile(r"(?<![\w])[ap]\.m\.(?![\w])")


# A speaker correcting themselves ("my left ankle no sorry both ankles swell", "i sleep
# fine no that's not true i don't sleep at all", "i have a murmur no sorry i mean my
# daughter has"): the "no" is not a denial of what follows. A "no" needs a word of
# correction beside it: "well no fever" is a denial; "Any chest pain? no sorry": nothing
# before it is corrected. What the correction takes back depends on what follows it: a
# new clause ("... no sorry it was my wrist") takes back the clause before it; a time
# ("on friday no sorry thursday night") only the time before it; anything else ("my left
# ankle no sorry both ankles", "after the chiro no sorry after the massage") nothing.
_NO = r"(?:no|nope|nah)"
_CORRECTS = (r"(?:sorry|wait|actually|hang on|hold on|scratch that|my mistake|i tell a lie|"
             r"not really|that'?s (?:not (?:true|right|it)|wrong)|(?:it'?s|it is|that'?s) not"
             r"(?: (?:true|right|ok|okay|fine|the same|that)|(?= (?:i|i'm|im|it|its|it's|my|"
             r"the)(?![\w]))))")
# A correction that says the words before it were wrong ("i sleep fine no that's not
# true", "its okay i think no its not okay"): it takes back that judgement only.
_JUDGED_WRONG = re.compile(r"not (?:true|right|ok|okay|fine|the same|that)|not really")
_I_MEAN = r"(?:sorry,? )?i meant?(?! to)(?![\w])"
_CORRECTION = startset.compile(
    r"(?<![\w])(?:(?:(?:well|actually|wait|hang on|hold on|sorry|erm|um),? " + _NO
    + r"(?:,? " + _CORRECTS + r")*(?:,? " + _I_MEAN + r")?(?=,| (?:it|its|it's|that|that's|"
    r"this|i|i'm|im|i've|ive|he|she|they|my|his|her|the|both|more|actually|not|also|there|"
    r"what)(?![\w])))|" + _NO + r"(?:,? " + _CORRECTS + r")+(?:,? " + _I_MEAN + r")?|"
    r"(?<!what )" + _I_MEAN + r"|or rather|scratch that|i tell a lie|let me rephrase|"
    r"well,? actually|come to think of it|now i think about it|"
    # "Ankle swelling: yes - sorry, ticked the wrong box, meant no"
    r"(?:sorry,? )?(?:ticked|ticking|clicked|circled|put) the wrong (?:box|one|answer),? "
    r"(?:i )?meant(?: to (?:say|put|tick))?|"
    # "it's my shoulder no it's my neck that's painful"
    r"(?<=[a-z] )no(?=,? (?:it'?s|its|it is) (?:my|the|his|her|more|actually|both|in|on)"
    r"(?![\w])))"
    r"(?![\w])(?=[ ,-]+[a-z0-9])")
_CORRECTED_HINT = startset.compile(r"(?<![\w])(?:no|nope|nah|mean|meant|rather|scratch|tell a lie|"
                                   r"rephrase|actually|think)(?![\w])")
# "its just my back no wait im also burning up with a fever": added to, not taken back
_ADDS = re.compile(r"[ ,-]*(?:\S+ ){0,2}(?:also|too|as well|plus)(?![\w])")
_RESTATED = re.compile(r"[ ,-]*(?:it|it's|its|that|that's|thats|this|he|she|they|i|i'm|im|"
                         r"i've|ive|i'd|my|his|her|the|there|not|just|only|our|we)(?![\w])")
_TIME = (r"(?:today|tonight|yesterday|tomorrow|morning|afternoon|evening|night|nite|week|"
         r"weekend|fortnight|month|year|monday|tuesday|wednesday|thursday|friday|saturday|"
         r"sunday|christmas|easter|ago|since|days?|hours?|minutes?|weeks|months|years|[0-9]+"
         r"(?:am|pm)?)")
_TIMED = re.compile(r"[ ,-]*(?:\S+ ){0,3}" + _TIME + r"(?![\w])")
_LAST_TIME = startset.compile(r"(?<![\w])(?:(?:it was|it's been|since|on|last|this|from|for|about|"
                              r"like|at|in|around|over|um|uh|er|a|an|the|few|couple of|of|"
                              r"yesterday)\s+){0,4}" + _TIME + r"(?:\s+(?:ago|night|morning|"
                              r"afternoon|evening))?\s*$")
_NO_TAKEN_BACK = re.compile(r"(?:no|nope|nah)(?![\w])")
_AFFIRMED = re.compile(r"[ ,-]*(?:yes|yeah|yep|i (?:do|did|have|had|am|get|got)(?![\w'])|"
                       r"i'?ve (?:had|got)|there (?:is|was|are|were) (?!no))")
# A form's answer taken back for the other one ("A: No... well actually yes", "no - hold
# on, yes", "yes... no, actually"): the first answer and the words between are blanked.
_ANSWER_SWAPPED = startset.compile(r"(?<![\w])(?:no|nope|yes|yeah)\s*(?:\.{2,}|…|-|,)?\s*"
                                   r"(?:(?:well|actually|hold on|hang on|wait|sorry|i mean|oh)"
                                   r"[,.…]*\s*-?\s*){0,3}(?=(?:yes|no)(?![\w]))")
_ANSWER_TAKEN_BACK = startset.compile(r"(?<![\w])(?:yes|no|y|n)(?:\s*[-,]?\s*sorry)?\s*$")
_ANSWER_NEXT = re.compile(r"[ ,-]*(?:yes|no|y|n)(?![\w])")
_SAID_OF = re.compile(r"(?:(?<![\w])(?:is|are|was|feels?|gets?|looks?)|'s) ")
_SAME_THING = re.compile(r"[ ,-]*(?:it'?s|its|it is)(?![\w])")
_TAKEN_BACK_STOP = frozenset(("and", "but", "so", "then", "because", "cos"))


_FILLER = startset.compile(r"(?<![\w])(?:um+|uh+|uhm+|erm+)(?![\w'])")

# A voice note's dictated "full stop" ("new thoracic pain full stop temp normal")
_FULL_STOP = re.compile(r"(?<![\w]) ?full stop(?![\w])")


# Caribbean English read as the English the word lists know, each word replaced by one
# of the same length (offsets hold, the words shown stay the writer's): "mi" before what
# is one's own ("mi back": my), before any other word but those an MI is written with
# ("mi cyaan", "mi need": I) and after a verb ("hurt mi": me), the plural "dem" ("leg dem":
# legs), "cyaan" (can't), "dung" (down), "pon" (on) and the progressive "a hurt" (hurts).
# Any other "mi" is left for the word lists: an MI ("MI in 2019", "had an MI").
# "an MI", "Hx of MI", "post MI", "previous MI": the abbreviation, whatever follows
_NOT_AFTER_AN_ARTICLE = r"(?<!an )(?<!of )(?<!post )(?<!post-)(?<!previous )(?<!prior )(?<!old )"
_PATOIS = re.compile(
    r"(?<![\w])(?:" + _NOT_AFTER_AN_ARTICLE
    + r"(?P<my>mi)(?= (?:back(?! (?:in|then|when|around|during|before|after))|neck|chest|belly|"
    r"foot|feet|leg|legs|han|hand|hands|"
    r"knee|knees|arm|arms|side|head|heart|body|breath|bowel|bladder|waist|hip|hips|ankle|"
    r"ankles|toe|toes|finger|fingers|shoulder|shoulders|skin|bone|bones|joint|joints|"
    r"privates|bottom|batty|wrist|jaw|eye|eyes|cup|clothes|bed|house|yard|gate|work|woman|"
    r"pickney|granny|madda|fada|doctor|dacta|self|own)(?![\w']))|"
    # before a Caribbean verb, "mi" is "I" even after "an" (and)
    r"(?P<i>mi)(?= (?:cyaan|kyaan|caan|cyan|haffi|affi|nah|neva|nuh|deh|tek|seh|waan|did|"
    r"dun)(?![\w']))|"
    # before any other word but one an MI is written with ("MI in 2019", "MI a year ago",
    # "MI x2", "MI last year", "MI and a stent"), not after an article or "post"
    + _NOT_AFTER_AN_ARTICLE
    + r"(?<!a )(?P<i2>mi)(?= (?:a(?![\w'])(?! (?:years?|months?|weeks?|few|couple|decade|"
    r"while|long))|"
    r"(?!(?:a|in|at|on|aged?|last|an|and|with|x[0-9]?|requiring|treated|stented|history|"
    r"hx|years?|months?|weeks?|ago|back|was|has|had|then|secondary|due|type|nstemi|stemi|"
    r"or|but|so|which|that|too|also|both|twice|once)(?![\w']))[a-z]))|"
    r"(?:(?<=hurt )|(?<=tell )|(?<=mek )|(?<=gi )|(?<=fi )|"
    r"(?<=pon )|(?<=gimme )|(?<=help ))(?P<me>mi)|"
    r"(?P<plural>foot|han|leg|knee|arm|toe|finger|ankle|hand|step|joint|hip) "
    r"dem|(?P<cant>cyaan|kyaan)|(?P<down>dung)|(?P<on>pon)|(?P<hurts>a hurt))(?![\w'])")
_PLURAL = {"foot": "feet", "han": "hands"}

# Scots, Irish and Northern English: "ma back", "me ankles" (my), "came aff" (off), "ma
# heid" (head), "went ower" (over), "sticking oot" (out), read in the standard spelling
# (the same length, so the words shown are the writer's own). "me" is "my" only before a
# part of the body, clothes or a vehicle, and "me back" only when the back does something
# ("me back's killing me"; not "ring me back"), and never after a verb that takes "me"
# ("give me back", "call me back is fine").
_BODY_OR_CLOTHES = (r"neck|chest|belly|stomach|tummy|foot|feet|leg|legs|knee|knees|arm|arms|"
                    r"hand|hands|head|heid|hip|hips|ankle|ankles|toe|toes|finger|fingers|"
                    r"shoulder|shoulders|wrist|wrists|elbow|jaw|eye|eyes|heart|ticker|bladder|"
                    r"bowels|bum|bottom|backside|privates|nethers|ribs|spine|waterworks|"
                    r"trousers|pants|knickers|shoes|boots|breath|side|bike|motorbike|car|van")
_NORTHERN = startset.compile(
    r"(?<![\w'])(?:(?<!call )(?<!ring )(?<!text )(?<!phone )(?<!give )(?<!get )(?<!got )"
    r"(?<!pay )(?<!send )(?<!bring )(?<!want )(?<!let )"
    r"(?P<my>ma|me)(?= (?:(?:" + _BODY_OR_CLOTHES + r")(?![\w'])|back(?='s| "
    r"(?:is|was|has|hurts|hurting|killing|aches|aching|pain|gone|went|been|playing|giving|"
    r"locked|seized))))|(?P<off>aff)(?= )|(?P<head>heid)|(?P<over>ower)(?= )|(?P<out>oot)"
    r"(?= |$)|(?P<no>nae)(?= (?!working|wrang|right|well|able|good|sure|much)))(?![\w'])")
# ("nae fall, nae accident": "no" and a space, the same length; "nae working" stays)
_NORTHERN_READ = {"my": "my", "off": "off", "head": "head", "over": "over", "out": "out",
                  "no": "no "}


def _patois(m: re.Match[str]) -> str:
    kind, word = m.lastgroup, m.group(0)
    if kind == "plural":
        noun = word[:-4]
        return _PLURAL.get(noun, noun + "s").ljust(len(word))
    return _PATOIS_READ[kind]


_PATOIS_READ = {"my": "my", "i": "i ", "i2": "i ", "me": "me", "cant": "can't", "down": "down",
                "on": "on ", "hurts": "hurts "}


def _taken_back(text: str) -> str:
    """The text with each self-correction blanked, and what it takes back: the same
    length, so offsets hold."""
    if not _CORRECTED_HINT.search(text):
        return text
    if "yes" in text:
        text = _ANSWER_SWAPPED.sub(_swapped_answer, text)
    out = text
    for m in _CORRECTION.finditer(text):
        head = text[:m.start()].rstrip(" ,-")
        if not head or head[-1] in ".;:!?(":
            # an answer ("? no sorry, nothing like that"), not a correction, unless it
            # is taken back ("A: no, actually I had an accident on Tuesday")
            if _NO_TAKEN_BACK.match(m.group(0)) and _AFFIRMED.match(text, m.end()):
                out = out[:m.start()] + " " * (m.end() - m.start()) + out[m.end():]
            continue
        start = len(head)
        answer = _ANSWER_TAKEN_BACK.search(head)
        if answer is not None and _ANSWER_NEXT.match(text, m.end()):
            start = answer.start()  # "... : yes - sorry, ticked the wrong box, meant no"
        elif _ADDS.match(text, m.end()):
            pass
        elif _TIMED.match(text, m.end()):
            last = _LAST_TIME.search(head)
            start = last.start() if last else start
        elif _SAME_THING.match(text, m.end()) and not _JUDGED_WRONG.search(m.group(0)):
            # "my chest is tight no actually it's a crushing pain": "it" is what was
            # named; only what was said of it is taken back ("it was ..." moves it all)
            said = _last(_SAID_OF, head)
            start = said.end() if said is not None and len(head[said.end():].split()) <= 6 \
                else _words_back(head, 3)
        elif _RESTATED.match(text, m.end()):
            start = _words_back(head, 4 if _JUDGED_WRONG.search(m.group(0)) else 10)
        start = min(start, m.start())
        out = out[:start] + " " * (m.end() - start) + out[m.end():]
    return out


def _swapped_answer(m: re.Match[str]) -> str:
    """"no... actually yes" -> "yes"; with no word of correction or trailing dots between
    them ("yes, no problem", "no yes") both stay."""
    if not _SWAP_WORD.search(m.group(0)):
        return m.group(0)
    return " " * len(m.group(0))


_SWAP_WORD = re.compile(r"\.\.|…|well|actually|hold on|hang on|wait|sorry|i mean|oh")


def _words_back(head: str, most: int) -> int:
    """Where the clause ending ``head`` starts: at most ``most`` words back, not past
    punctuation or a joining word."""
    start = len(head)
    for count, word in enumerate(reversed(list(re.finditer(r"\S+", head)))):
        if count == most or word.group(0) in _TAKEN_BACK_STOP \
                or word.group(0)[-1] in ".,;:!?()":
            break
        start = word.start()
    return start


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-") \
        .replace("\u2014", "-")
    if '"' in text or "\u201c" in text or "\u201d" in text:  # 'his foot "won't pick up"'
        text = text.replace('"', " ").replace("\u201c", " ").replace("\u201d", " ")
    text = _taken_back(text)
    if "say" in text or "tell you" in text:  # "can't say I don't have numbness, I do: ..."
        text = _DOUBLE_NEGATIVE.sub(_double_negative_blanked, text)
    if "full stop" in text:  # dictated: the stop itself (same length)
        text = _FULL_STOP.sub(lambda m: "." + " " * (len(m.group(0)) - 1), text)
    if "mi " in text or "dem" in text or "cyaan" in text or "kyaan" in text:
        text = _PATOIS.sub(_patois, text)
    if "ma " in text or "me " in text or "aff " in text or "heid" in text or "ower " in text \
            or "oot" in text:
        text = _NORTHERN.sub(lambda m: _NORTHERN_READ[m.lastgroup], text)  # type: ignore[index]
    if "can not" in text:  # "I can not step on it": the one word (same length)
        text = _CAN_NOT.sub("cannot ", text)
    if "in'" in text:  # "me legs are goin'", "walkin' wide-legged": the g dropped
        text = _G_DROPPED.sub(_g_restored, text)
    if "um" in text or "uh" in text or "erm" in text:  # a voice note's fillers: blanked
        text = _FILLER.sub(lambda m: " " * len(m.group(0)), text)
    if "a.m." in text or "p.m." in text:  # "stiff a.m. >1h": not two sentence stops
        text = _AM_PM.sub(lambda m: m.group(0)[0] + "m  ", text)
    if "non" in text:
        text = _NON.sub(_non, text)
    if "? a." in text:  # "Q. Any ...? A. No.": the answer's label, not a sentence's end
        text = _ANSWER_LABEL.sub(r"\1a:", text)
    if "/10" in text:  # "squeezing pain, 7/10, in my chest": a score set off by commas
        # or brackets inside the words it scores reads as if written without them
        text = _SCORE_ASIDE.sub(_score_unmarked, text)
    if "(not " in text:  # "Dad (not me) has ...": the aside is blanked (same length)
        text = _NOT_ME.sub(lambda m: " " * len(m.group(0)), text)
    if " | " in text:  # "Partner | breathless lying flat | cardiology booked; Me | none"
        text = _ROW_OF.sub(_row_joined, text)
    # "...; nothing like that so far", "...; it all went within a week": one sentence
    if ";" in text and (" like " in text or "it " in text or "normal" in text
                        or "; the pain" in text):
        text = _BACK_REFERENCE.sub(r",\1", text)
    return _ANATOMY_STOP.sub(_first_group_and_space, text) if "." in text else text


_CAN_NOT = re.compile(r"(?<![\w])can not(?![\w])(?! only)")
# A table's row headed by whose it is: its cells, each a sentence of its own otherwise,
# are read as one sentence about that person, a relative's as theirs ("partner's a,  b",
# "me:  none"; same length).
_ROW_OF = re.compile(r"(?:^|(?<=[;\n]))(\s*(?:my )?(?:partner|husband|wife|hubby|boyfriend|"
                     r"girlfriend|mum|mom|mother|dad|father|son|daughter|brother|sister|friend|"
                     r"flatmate|nan|gran|grandad|grandma|me|myself)) \| ([^;\n]*)")


def _row_joined(m: re.Match[str]) -> str:
    own = m.group(1).endswith(("me", "myself"))
    return m.group(1) + (":  " if own else "'s ") + m.group(2).replace(" | ", ",  ")


# A dropped g ("goin'", "killin'", "walkin'") is read as the -ing word (same length). Not
# a word that ends in "in" inside quotes ("it's more 'pain' than 'ache'": the quote
# before it opens one) or one of the -in words a note may quote.
_G_DROPPED = startset.compile(r"(?<![\w'])([a-z]{2,})in'(?![\w])")
_QUOTE_OPENED = re.compile(r"(?<![\w])'(?=[a-z])")
_IN_WORDS = frozenset(("pa", "sh", "sk", "ch", "sp", "bra", "gro", "ve", "aga", "tw", "th",
                       "ma", "ra", "tra", "beg", "with", "cous", "insul", "aspir", "hepar",
                       "warfar", "metform", "vitam", "prote", "tox", "bas", "cab", "marg",
                       "orig", "ru", "dra", "sta", "ga", "cha", "pla", "pumpk", "muff"))


def _g_restored(m: re.Match[str]) -> str:
    stem = m.group(1)
    if stem in _IN_WORDS or _QUOTE_OPENED.search(m.string, max(0, m.start() - 60), m.start()):
        return m.group(0)
    return stem + "ing"


# "Can't say my ankles haven't been swelling. They have", "I would not say it is not
# getting worse, it is": a denial denied, then said outright. The opener and the inner
# "not" are blanked (same length), so what is left is the finding.
_DOUBLE_NEGATIVE = re.compile(
    r"(?<![\w])(?P<open>(?:can'?t|cannot|can not|couldn'?t|wouldn'?t|would not) (?:say|tell you)"
    r"(?: that)?)(?P<mid>[^.;!?]{1,40}?)(?P<neg>n'?t|(?<![\w])not)(?![\w])"
    r"(?=[^.;!?]{0,80}?(?:[.;:,!-]|$)\s*(?:they have|they are|they do|it is|it has|it does|i do|"
    r"i have|i am|it's|they're|because it is|yes)(?![\w]))")


def _double_negative_blanked(m: re.Match[str]) -> str:
    return " " * len(m.group("open")) + m.group("mid") + " " * len(m.group("neg"))


_SCORE_ASIDE = re.compile(r"(?<=[a-z])\s*[,(]\s*\d{1,2}(?:\.\d)?\s*/\s*10\s*[,)](?=\s*[a-z])")


def _score_unmarked(m: re.Match[str]) -> str:
    return m.group(0).replace(",", " ").replace("(", " ").replace(")", " ")


def _first_group_and_space(m: re.Match[str]) -> str:
    # (a function, not the template r"\1 ": re parses a template in Python on every call)
    return m.group(1) + " "


# A denial that points back at what the clause before it taught ("the nurse said that if
# I ever get ...; nothing like that so far"), the end of what it told ("flu and an achy
# back a month ago; it all went within a week") or its pain ("something went in my back;
# the pain is terrible"): kept in that clause's sentence.
_BACK_REFERENCE = re.compile(r";(\s*(?:but |and )?(?:(?:i'?ve |i have |i )?(?:nothing like|"
                             r"(?:haven'?t|have not) (?:had|felt|noticed|experienced) anything "
                             r"like) (?:that|it|this)(?![\w])(?! before)|(?:[^;.!?]{0,40}? and )?"
                             r"it (?:all )?(?:went|cleared|settled|resolved)(?: completely| "
                             r"fully)? (?:(?:within|in|after) (?:a|an|one|two|[0-9]+) "
                             r"(?:days?|weeks?)|by the (?:next|following) (?:day|week|morning))"
                             r"(?![\w])|(?:[^;.!?]{0,40}? )?(?:then |and )?"
                             r"back to normal(?![\w])|"
                             # "sciatica in both legs; after the injection it went away"
                             r"after (?:the |an |my )?[\w-]+ it (?:went away|cleared up|"
                             r"settled|resolved)(?![\w])|"
                             # "something went in my back; the pain is terrible"
                             r"the pain(?![\w])))")


def _sentences(text: str) -> list[tuple[int, str]]:
    out, start = [], 0
    for m in _SENTENCE.finditer(text):
        if m.start() > start:
            out.append((start, text[start:m.start()]))
        start = m.end()
    if start < len(text):
        out.append((start, text[start:]))
    return out


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    found = None
    for found in pattern.finditer(text):  # noqa: B007 - the last one is wanted
        continue
    return found


def _clause_head(sentence: str, start: int) -> str:
    """The text before ``start`` back to the last hard clause boundary."""
    head = sentence[:start]
    hard = _last(_HARD, head)
    return head if hard is None else head[hard.end():]


# "not painful, just can't lift my leg", "no pain moving, only when resting": after a
# comma, a contrast word ends the list a negation carries over.
_LIST_ENDS = re.compile(r"\s*(?:just|only|actually|still|instead|rather|yet|although|though)"
                        r"(?![\w])")


# A denial of a habit, a medicine or a pastime does not carry over a list to a symptom:
# "never smoked, chest discomfort during exercise", "no meds, ...", "not a runner, ...".
_NOT_A_SYMPTOM = re.compile(
    r"\s*(?:(?:a|an|any|regular|current|currently)\s+)?(?:smok\w*|vap\w*|drink\w*|alcohol|"
    r"booze|meds|medications?|medicines?|tablets|pills|runner|gym\w*|training|exercis\w*|"
    r"sports?|kids|children|pets|allergies|diet\w*|vegetarian|vegan|coffee|caffeine)\s*$")
# "no sleep last night and chest pain for an hour now": a clause joined to the denial
_JOINED = re.compile(r"(?<=\s)(?:and|so|&|\+)(?=\s)|(?<![0-9])/(?![0-9])")
# "(it) is not | my usual heartburn, ...", "that's not | reflux, ...": what a thing is.
_COPULA_END = startset.compile(r"(?<![\w])(?:is|it'?s|that'?s|this'?s|was|'s)\s+$")
_NAMED_THING = re.compile(r"\s*(?:my|the|a|an|just|your|his|her|heartburn|reflux|indigestion|"
                          r"wind|gas|anxiety|asthma|muscular|a stitch)(?![\w])")


# "can't get through a shift without being exhausted": a negation of a negation.
_UNABLE = startset.compile(r"(?<![\w])(?:can'?t|cannot|unable to|couldn'?t|could not|"
                           r"can no longer|not able to)(?![\w])")
# A list a negation carries over ("no numbness, tingling or weakness") ends at an item
# with its own verdict ("no pins and needles, pulses fine, point tender on the fibula"),
# at an item that is a measurement ("no trauma, morning stiffness 60 min") and, after a
# noun's negation ("no", "denies"), at an item that starts with an adjective or an
# examiner's finding ("no numbness, tender on the back edge of the ankle bone").
_VERDICT = startset.compile(r"(?<![\w])(?:fine|ok|okay|normal|intact|present|palpable|nad|"
                            r"good|clear|equal|full)(?![\w])")
_MEASURE = startset.compile(r"(?<![\w])[0-9]+(?:\.[0-9]+)? ?(?:min|mins|minutes?|hrs?|hours?|"
                            r"/5|/10|cm|mm|days?|weeks?|months?|years?|yrs?)(?![\w])")
_NOUN_CUES = frozenset(("no", "nil", "none", "denies", "denied", "deny", "denying",
                        "negative for", "free of", "free from", "absence of", "no evidence of"))
_ADJECTIVE_ITEM = startset.compile(r"\s*(?:tender|tenderness on|tender on|sore|weak|stiff|swollen|"
                                   r"painful|numb|tight|achy|bruised|reduced|absent|marked|severe|"
                                   r"point tender|exquisitely|very|ttp|bony|tired|exhausted|"
                                   r"breathless|dizzy|knackered|shattered|fatigued|unable)(?![\w])")


# ... and at an item told as a statement of its own, with a verb, a person or what
# brings it on and eases it ("no chest pain, calf cramps walking uphill that go when I
# stop"; "no pain, can't lift my foot"): a list's items are bare findings, and its last
# is joined by "or" ("no swelling, bruising or tenderness since I fell").
_STATEMENT_ITEM = startset.compile(
    r"(?<![\w])(?:that|which|relieved|relieves|eases?|eased|easing|settles?|settled|goes|"
    r"go away|went|stops?|stopped|wakes?|woke|waking|comes? on|came on|since|recently|"
    r"lately|can'?t|cannot|couldn'?t|unable|won'?t|gave|gives|give way|today|tonight|"
    r"yesterday|this (?:morning|afternoon|evening|week|month)|last (?:night|week|month)|"
    r"ago|twice|once|[0-9]+ times|getting|going|gone|becoming|become|became)(?![\w])")


# A checklist whose last item carries the answer for all: "Face droop, arm weakness or
# slurred speech: none."
# (the mention's own item may go on before the list: "Chest pain at rest, during daily
# activities or during exercise: NO", "Discomfort in chest, neck, jaw or arms with
# activity: denies.")
_LIST_ANSWERED_NO = re.compile(r"[a-z' /-]{0,40}?(?:\s*(?:,|\bor\b|\band\b)\s*[a-z' /-]{1,40}?)"
                               r"{0,6}\s*[:=-]\s*(?:none|no|nil|denied|denies|negative|neg|nope|"
                               r"not present)\s*[.!]?\s*$")


# A form's empty checkbox right after the words ("Varicose veins [ ]"): left unticked
_UNTICKED = re.compile(r"\s*\[ *\]")
# ... or a box right before them ("[ ] fever", "[x] arms"): group 1 is empty when unticked
_BOX_BEFORE = re.compile(r"\[( *|\s*[x✓✔]\s*)\]\s*$")
# ... or a word or two before them ("[ ] back pain": the pain is the back pain's row)
_BOX_WORDS_BEFORE = re.compile(r"\[( *|\s*[x✓✔]\s*)\]\s*(?:[\w'-]+\s+){1,2}$")
# A checklist row whose every column is answered no after the words ("Chest pain at rest
# - N / on exertion - N"): the finding denied
_ROW_ANSWERED_NO = re.compile(r"(?:\s*[/,|]?\s*[a-z' ]{0,25}?\s*[-:]\s*(?:n|no)(?![\w]))+"
                              r"\s*\.?\s*$")


def _list_answered_no(sentence: str, end: int) -> bool:
    tail = sentence[end:]  # (most sentences hold no answer mark: skip the regex)
    return (":" in tail or "-" in tail or "=" in tail) \
        and _LIST_ANSWERED_NO.match(sentence, end) is not None


_OR_FEELING = startset.compile(r"(?<![\w])(or|nor) (?:feeling|being)(?![\w])")


# "right calf hot, swollen and painful": a part, then what it is like (a statement).
_PART_IS = startset.compile(
    r"^\s*(?:(?:my|his|her|the|left|right|l|r|lt|rt|one|both)\s+)*(?:calf|calves|legs?|"
    r"knees?|ankles?|foot|feet|arms?|hands?|face|chest|back|neck|hips?|thighs?|shins?|toes?|"
    r"fingers?)\s+(?:is |are |was |were |feels? |looks? |went |gone |now )?(?:very |really |"
    r"so )?(?:hot|swollen|red|tender|painful|numb|weak|weaker|cold|pale|blue|droop\w*|tight|"
    r"heavy|dead|useless|floppy|puffy)(?![\w])")


def _a_statement(item: str) -> bool:
    """The list item holding a mention is a clause of its own ("never smoked, chest pain
    for an hour now"), not one more thing denied; an item's "or" part shares its verdict
    ("no pins and needles or weakness since the op"), so its first part is read."""
    item = item.split(" or ")[0].split(" nor ")[0]
    return bool(_NEW_CLAUSE.search(item) or _STATEMENT_ITEM.search(item)
                or _PART_IS.search(item))


def _joined_statement(last: str, sentence: str, start: int) -> bool:
    """The mention follows the denial after "and", "so" or "/" and makes a statement of
    its own ("never smoked and chest pain for an hour now"): not denied with it."""
    parts = _JOINED.split(last)
    if len(parts) < 2:
        return False
    comma = sentence.find(",", start)
    return _a_statement(parts[-1] + sentence[start:comma if comma >= 0 else len(sentence)])


def _list_ended(cue: str, segments: list[str], sentence: str, start: int) -> bool:
    comma = sentence.find(",", start)
    item = segments[-1] + sentence[start:comma if comma >= 0 else len(sentence)]
    return any(_VERDICT.search(s) for s in segments[1:-1]) or bool(_MEASURE.search(item)) \
        or (cue in _NOUN_CUES and bool(_ADJECTIVE_ITEM.match(item))) \
        or _a_statement(item)


# A question whose "no" affirms a finding: of ability ("can you walk on it? no") or of
# dieting ("on the plan? no"), not of the finding itself ("fever? no" denies the fever).
_ASKED_JUST_BEFORE = re.compile(
    r"(?:(?:can|could) (?:you|he|she|they|u)|(?:are|is|were|was) (?:you|he|she|they) able to|"
    r"(?:on|following|sticking to) (?:the|a|your|his|her) (?:plan|diet)|dieting|trying to lose"
    r"(?: weight)?)[^?.;!]{0,40}\?[^?.;!]{0,40}$")


_UNTIL = re.compile(r"[^.;!?,]{0,30}?(?:(?<![\w])(?:until|till|til)|, but now)(?![\w])")


def _names_a_thing(cue: re.Match[str], head: str, segments: list[str]) -> bool:
    """"it's not my usual heartburn, chest pain for an hour now": that "not" denies what
    a thing is, not a list of symptoms, and the comma after the thing ends it."""
    return len(segments) > 1 and cue.group() == "not" \
        and _COPULA_END.search(head, 0, cue.start()) is not None \
        and _NAMED_THING.match(segments[0]) is not None


_ABILITY_ASKED = startset.compile(r"(?<![\w])(?:able to|can (?:you|he|she|they|client|member)|"
                                  r"could (?:you|he|she|they))(?![\w])")


# A voice note's next statement, with no stop before it: a subject and its verb after
# the denial's own words ("it's not cramp it doesn't go away my right calf is swollen",
# "i haven't been dieting at all that's the thing i've lost a stone"), or straight
# after a bare answer ("back trouble before? no never this is the first time").
_RESTART = startset.compile(r"(?<![\w'])(?:i've|ive|i'm|im|i|my|it's|its|it|this|that's|there's)"
                            r"(?: [\w']+){0,2}? (?:is|are|was|were|has|have|had|lost|got|gets|feel|"
                            r"feels|hurts?|goes|went|started|keeps?|can'?t|cannot|won'?t)(?![\w])")
_NOT_A_RESTART = frozenset(("that", "if", "whether", "think", "thought", "say", "said",
                            "know", "knew", "feel", "felt", "notice", "noticed", "when",
                            "because", "cos", "as", "like", "where", "why", "how", "what"))


def _restarts(cue: str, words: str, after: str) -> bool:
    """Whether a statement of its own starts in ``words`` (after the denial ``cue``, up
    to the mention; ``after``: the mention and on, where its verb may be)."""
    found = _RESTART.search(words + after)
    if found is None or found.start() > len(words):
        return False
    if found.start() == len(words):  # "Back pain before? No - this is the first time"
        return not words.strip(" -,") and cue in ("no", "never", "nope", "nah") \
            and found.group(0).startswith(("this", "that", "it's", "its", "there"))
    before = words[:found.start()].split()
    if not before:
        return cue in ("no", "never", "nope", "nah")
    return len(before) >= 2 and before[-1] not in _NOT_A_RESTART


def _negated(sentence: str, start: int, end: int, head: str | None = None) -> bool:
    # a form's "Swollen ankles [ ]", or "[ ] swollen joint": left unticked (the box after
    # belongs to the next item where the boxes stand before theirs: "[x] arms [x] legs [ ] face")
    boxed = _BOX_BEFORE.search(sentence, max(0, start - 8), start)
    if boxed is not None:
        if boxed.group(1).strip() == "":
            return True
    elif _UNTICKED.match(sentence, end):
        return True
    elif "[" in sentence:
        boxed = _BOX_WORDS_BEFORE.search(sentence, max(0, start - 30), start)
        if boxed is not None and boxed.group(1).strip() == "":
            return True
    last = sentence.rfind(" ", start, end) + 1  # "weakness: [x] arms [ ] face": the face
    if last > start and "[" in sentence:  # the words end on is unticked
        boxed = _BOX_BEFORE.search(sentence, max(start, last - 8), last)
        if boxed is not None and boxed.group(1).strip() == "":
            return True
    if head is None:
        head = _clause_head(sentence, start)
    into = sentence[start - len(head):end]
    cue = None  # the last cue in the head, read with the words after it in view ("I don't
    for over in _NEG_BEFORE.finditer(into):  # get | dizzy spells": a contracted "not"
        if over.start() < len(head) < over.end():  # "I don't have | cancer"
            return True
        if over.end() <= len(head):  # negates only before a symptom word it can see)
            cue = over
    # "my breath is not reaching when I walk", "my foot is not coming up": the loss
    # itself, not a denial of the walk
    if cue is not None and cue.group() == "not" and _loss_not(head, cue):
        cue = None
    # "I have no more sensation during sex": a loss named right after "no" is the finding
    if cue is not None and cue.group() == "no" and _LOSS_AFTER_NO.match(into, cue.end()):
        cue = None
    # "never had any problems in the bedroom until my back went": it began then
    if cue is not None and cue.group().startswith("never") and (
            _UNTIL.match(sentence, end) or _UNTIL.match(sentence, start)):
        cue = None
    # "can't bend without my back catching": a negation of a negation affirms
    if cue is not None and not (cue.group() == "without"
                                and _UNABLE.search(head, 0, cue.start())):
        segments = head[cue.end():].split(",")
        # "no fever, chills or feeling unwell": the last item's "feeling" names a state
        # of the list, not a clause of its own.
        segments[-1] = _OR_FEELING.sub(_first_group_and_space, segments[-1])
        if all(len(s.split()) <= 4 and not _NEW_CLAUSE.search(s) and not _LIST_ENDS.match(s)
               for s in segments[1:]) and len(segments[0].split()) <= 8 \
                and not (len(segments) > 1 and _list_ended(cue.group(), segments,
                                                           sentence, start)) \
                and not (len(segments) > 1 and _NOT_A_SYMPTOM.match(segments[0])) \
                and not _names_a_thing(cue, head, segments) \
                and not _joined_statement(segments[-1], sentence, start) \
                and not _restarts(cue.group(), segments[0], sentence[start:end + 30]) \
                and not _REASON.search(segments[0]):
            return True
    inside = sentence[start:end]
    for first in _NEG_BEFORE.finditer(inside):
        if first.start() == 0:
            continue
        # a chat's "can you walk on it? [21:35] client - no, can't put it down": the "no"
        # answers the question asked just before, it does not deny the finding
        if first.group() in ("no", "nope", "nah") and _ASKED_JUST_BEFORE.search(
                inside, 0, first.start()):
            continue
        # "numbness and no arousal during sex": a loss named inside the words is the finding
        if first.group() == "no" and _LOSS_AFTER_NO.match(inside, first.end()):
            continue
        # "I do not feel any more when I must go to the toilet": the urge lost
        if first.group() == "not" and _NOT_FEEL_URGE.match(inside, first.end()):
            continue
        # "gasping for air, not a nightmare, I was wide awake": another explanation denied
        if first.group() == "not" and _NOT_ANOTHER.match(inside, first.end()):
            continue
        # "used to walk the dog 3 miles no problem, now half a mile and he is done": the ease
        # was then, the finding is now
        if first.group() == "no" and _NO_PROBLEM_THEN.match(inside, first.end()):
            continue
        # "a pain in my back which no change of posture will relieve": nothing relieves it
        if first.group() == "no" and _NO_RELIEF.match(inside, first.end()):
            continue
        # "my breath is not reaching", "the foot is not taking my weight": the loss
        if first.group() == "not" and _loss_not(inside, first):
            continue
        # "can't walk on it, not even four steps": "not even" after an inability stresses it
        if first.group() == "not" and inside.startswith(" even", first.end()) \
                and _UNABLE.search(inside, 0, first.start()):
            continue
        # "it comes without me knowing": unnoticed, the finding itself
        if first.group() == "without" and _UNNOTICED.match(inside, first.end()):
            continue
        if not (first.group() == "without"
                and _UNABLE.search(head + inside[:first.start()])):
            return True
        break
    # ("Able to walk 4 steps? no": a question of ability answered no is the inability)
    if ((_answered_after(sentence[end:]) or _strong_reply(sentence, start, end))
            and not _ABILITY_ASKED.search(sentence, max(0, start - 24), end)
            and not _CLIENT_ASKS.search(sentence, 0, start)) \
            or _list_answered_no(sentence, end) or _ROW_ANSWERED_NO.match(sentence, end) \
            or ("?" in sentence and _NOT_MINE_AFTER.match(sentence, end) is not None):
        return True
    return bool(_PART_LAST.search(sentence, start, end)
                and _PARTS_REPLY.match(sentence, end))


_NOT_FEEL_URGE = re.compile(r"\s+feel (?:any ?more )?when (?:i|he|she) (?:must|need to|have to|"
                            r"should) go(?![\w])")
_NOT_ANOTHER = re.compile(r"\s+(?:a |just )?(?:nightmare|dream|bad dream|joke)(?![\w])")
_NO_PROBLEM_THEN = re.compile(r"\s+(?:problems?|issues?|bother|trouble|sweat)\s*[,;-]?\s*"
                              r"(?:but |and |yet )?(?:now|these days|nowadays|this (?:year|month|"
                              r"week))(?![\w])")
_NO_RELIEF = re.compile(r"\s+(?:change (?:of|in) |amount of )?(?:posture|position|turning|"
                        r"painkillers?|tablets?|medication)[^.;!?]{0,20}?(?:will |can |would |"
                        r"does |did )?(?:relieve|ease|help|shift|touch)")
_UNNOTICED = re.compile(r"\s+(?:i|me|my|him|her|them|us) (?:know|knowing|knowledge|"
                        r"notic\w*|feel\w*)(?![\w])")
# "she's not slept in weeks because the pain in her back ...": the reason is told, not denied
_REASON = re.compile(r"(?<![\w])(?:because|cos)(?![\w])")
_LOSS_AFTER_NO = re.compile(r"\s+(?:get |fit |more |any more )?(?:arousal|sensation|feeling|"
                            r"power|strength|force|control|function|erections?|air)(?![\w])")
_BREATH_NOT = re.compile(r"breath(?:ing)? (?:is |was |will |does |did )?$")
_LOSS_AFTER_NOT = re.compile(r"\s+(?:reaching|coming|come)(?![\w])")


# "my foot is not coming up", "the foot is not taking my weight", "I am not feeling when
# I must go", "bowels not holding": a part or a sense that no longer does its work, the
# loss itself (not "my foot is not dragging": a symptom denied); "the pain is not leaving
# me": it stays
_PART_NOT = re.compile(r"(?<![\w'])(?:foot|feet|toes?|legs?|arms?|hands?|ankle|knees?|i|i'm|im|"
                       r"pain|ache|bowels?|bladder|back passage) "
                       r"(?:is |are |was |were |will |does |do |did |am )?$")
_PART_LOSS_AFTER_NOT = re.compile(r"\s+(?:leaving (?:me|him|her)|feel(?:ing)? when|coming up|"
                                  r"come up|lifting|lift|going up|obeying|obey|"
                                  r"taking (?:my|his|her|the|any) weight|"
                                  r"take (?:my|his|her|the|any) weight|"
                                  r"holding(?: on| it)?|emptying)(?![\w])")


def _loss_not(text: str, cue: re.Match[str]) -> bool:
    """A "not" that tells a loss: a breath's ("breath is not reaching", "will not come")
    or a part's ("my foot is not coming up"). (The words after first: one match.)"""
    start, end = cue.start(), cue.end()
    if _LOSS_AFTER_NOT.match(text, end) and _BREATH_NOT.search(text, max(0, start - 24), start):
        return True
    return bool(_PART_LOSS_AFTER_NOT.match(text, end)
                and _PART_NOT.search(text, max(0, start - 24), start))


# A client's own question to the gym about what they have ("is it ok to train if my legs
# are tingly?", "should I still come to class if ..."): the "if" tells their state.
_ASKS_IF_OK = startset.compile(r"(?<![\w])(?:(?:is|would|will) (?:it|"
                               r"that) (?:be )?(?:still )?(?:ok|okay|alright|all right|safe|fine|"
                               r"wise|sensible)|should (?:i|he|she) still|"
                               r"can (?:i|he|she)(?: still)?|"
                               r"am i (?:still )?(?:ok|okay|allowed|safe)) (?:for (?:me|him|"
                               r"her) )?(?:to )?(?:[\w'-]+ ){0,4}if$")
# A what-if or a rule for anyone, inside a combination's words too ("walking group: if
# your calves ever cramp ...", "anyone who twists an ankle and can't take four steps").
# (not "I should be obliged if your trainer were made aware that ...": a formal request)
_HYPOTHETICAL = startset.compile(r"(?<![\w])(?:(?<!obliged )(?<!grateful )"
                                 r"if (?:you ever|your|they ever|it ever|one)|if ever|"
                                 r"if (?:my|his|her|the) (?:[\w']+ ){0,3}?ever|"
                                 r"in the event|should (?:you|they|i) ever|should one|"
                                 r"anyone (?:who|with)|"
                                 r"anybody (?:who|with)|whoever)(?![\w])")
# A question about a word, or about a what-if, the mention inside the question (searched
# without an end: what follows the words decides): "If I felt a sudden pain in my spine on
# a lift, should I stop?", "If I end up having chemo, would I ...?", "What's a heart
# murmur?", "What does foot drop feel like?" (not "what does my ...", not "...? The GP says
# I have one", not "if I felt dizzy yesterday, ...?")
_ASKED_ABOUT = startset.compile(
    r"(?<![\w])if (?:i|my [\w']+) (?:felt|were to|was to|end(?:ed)? up|happened to)(?![\w])"
    r"(?=[^.;!]{0,120}\?)(?![^.;!?]{0,80}(?<![\w])(?:yesterday|today|this morning|last "
    r"(?:night|week)|ago)(?![\w]))|"
    r"(?<![\s\S])\s*what(?:'s| is| are| does| do) (?:a |an |the )?(?=[^.;!?]{1,50}\?)"
    r"(?![^?]{0,50}(?<![\w])(?:my|i|i'm|me)(?![\w]))(?![^?]{0,50}\?[^.;!]{0,60}(?:(?<!told )i have|"
    r"i've got|i've been (?:told|diagnosed)|said i|says i|(?<!never been )(?<!not been )told i|"
    r"(?<!never been )(?<!not been )diagnosed))|"
    # "Is night pain a red flag? Our tutor mentioned it", "Could weakness in both arms
    # come from overtraining? Just curious, I'm fine myself": a question about the words in
    # general, the writer's own answer after it saying they are not the writer's
    r"(?<![\s\S])\s*(?:is|are|would|could|can|does|do|will|might)(?![\w])(?=[^?]{1,90}\?)"
    r"(?![^?]{0,90}(?<![\w])(?:my|i|i'm|me|i've)(?![\w]))(?=[^?]{0,90}\?\s*(?:[^.;!]{0,30}?"
    r"[\s,]|)(?:(?:i'?m|i am) (?:perfectly |totally |completely |absolutely )?(?:fine|ok|okay|"
    r"well)|just (?:curious|asking|wondering)|asking for (?:a friend|my \w+)|(?:we'?re|we are) "
    r"(?:both |all )?(?:fine|ok|okay|well)|(?:i|we|she|he|my \w+) read "
    r"(?:it|about it|that)|(?:course|module|tutor|trainer|forum|article|leaflet|lecturer|"
    r"teacher|instructor)(?: \w+){0,2} (?:mentioned|said|says|covered)|i don'?t have (?:one|it|"
    r"any|that)|(?:he|she) has (?:none|no \w+)))")
# A clinician's "should <finding> develop/become/fall ...": the verb after the finding,
# so a search that ends at the mention does not see it (_CONDITIONAL's "should").
_SHOULD_THEN = re.compile(r"(?<![\w])should(?! (?:say|tell|add|mention|note|explain|point|let|"
                          r"have|be|also|probably|really|definitely|get|go|see)(?![\w]))"
                          r"(?= (?:[\w'/&-]+,? ){1,8}?(?P<verb>occur|occurs|develop|develops|"
                          r"happen|happens|appear|appears|return|returns|recur|recurs|start|"
                          r"starts|become|becomes|fall|falls|drop|drops|worsen|worsens|"
                          r"deteriorate|deteriorates|arise|arises)(?![\w]))")
# "she asked whether she should mention that her neck and jaw feel tight ...": what she has
_SHOULD_MENTION = startset.compile(r"(?<![\w])(?:asked|asks|wondered|wonders|wondering|"
                                   r"not sure) (?:whether|if) (?:she|he|i|they) should (?:mention|"
                                   r"tell (?:you|us|someone)|report|say|flag)(?: (?:to (?:you|"
                                   r"us) )?that)?\s")
# "should I be worried that my back pain is new since chemo? no fever": the client's own
# question to the gym, then more news; not a form's question answered "no".
_CLIENT_ASKS = startset.compile(r"(?<![\w])(?:should (?:i|we) (?:worry|be (?:worried|"
                                r"concerned))|is (?:it|this|that) (?:ok|okay|alright|safe|"
                                r"normal|fine)|do (?:i|we) need to|can i still|could (?:it|this) "
                                r"be)(?![\w])")


# Advice reported: "said if ..." and, after the words, what to do then.
_SAID_IF = startset.compile(r"(?<![\w])(?:said|says|told (?:me|us|him|her)|advised|warned)"
                            r"(?: (?:me|us|him|her))? if(?![\w])")
_THEN_ADVICE = startset.compile(r"(?<![\w])(?:(?:should|must|needs? to|ha(?:ve|s) to|am to|'m to|"
                                r"is to|are to) |to )(?:stop|call|ring|phone|see|go|get|come|"
                                r"contact|seek|tell|let)(?![\w])")
# An "if" that asks about an activity for what the client has: the mention follows it.
_OK_FOR = re.compile(r"\s*(?:[\w'-]+ ){0,3}(?:is|are|would be|will be|'s) (?:ok|okay|safe|good|"
                     r"suitable|alright|all right|fine|advisable) (?:for|with) "
                     r"(?:(?:her|his|my|their|a|the|this) )?")
# ... or asks whether the words matter, because the client has them
_ASKS_BECAUSE = re.compile(r"\s*(?:[\w'-]+\s+){0,2}(?:because|as|since|cos) (?:hers|his|mine|"
                           r"theirs|my|her|he|she|i|i'?ve|i'?m|they)(?![\w])")
# A reason or a report after the question, before the mention: what the client has.
_GIVES_REASON = startset.compile(
    r"(?<![\w])(?:because|cos|as (?:her|his|my|their)|since (?:her|his|my|their)) |"
    r"\s[–—-]+\s*(?:(?:(?:he|she) )?(?:says|said|reports|tells)(?![\w])|(?:his|her|my|their) )|"
    # "asked if we have a class he can do sitting up, says he can't breathe if ..."
    r",\s*(?:(?:he|she) )?(?:says|said|reports|tells)(?![\w])")


def _conditional(sentence: str, start: int, end: int) -> bool:
    """An "if" before the mention or teaching in the sentence, unless the mention's own
    clause tells the present and the cue is another clause's ("asked whether the sauna
    is open, also says chest pain since this morning", "if anything I'm fitter, ...").
    A cue before still reaches a list that a main clause follows ("if someone's face
    droops, an arm is weak or speech is slurred, call 999"), and an "if" goes on over
    "and" ("if you fall from a height and your back hurts get checked")."""
    if _HYPOTHETICAL.search(sentence, max(0, start - 60), end):
        return True  # "osteoporosis, if you ever get sudden severe back pain, see your GP"
    if "?" in sentence:
        asked = _ASKED_ABOUT.search(sentence, max(0, start - 60))
        if asked is not None and asked.start() <= start \
                and end <= sentence.find("?", asked.start()) + 1:
            return True
    # (the report can be inside the words: PAR-Q+ 1's "doctor said ... heart")
    said = _SAID_IF.search(sentence, max(0, start - 80), end)
    if said is not None and _THEN_ADVICE.search(sentence, max(end, said.end()), end + 80):
        return True  # "the doctor said if I get a racing heart I should stop and ring her"
    if _SHOULD_MENTION.search(sentence, max(0, start - 80), start):
        return False  # "asked whether she should mention that her jaw feels tight ..."
    if "should" in sentence:  # (the cue below cannot see past the mention)
        should = _SHOULD_THEN.search(sentence, max(0, start - 60))
        if should is not None and should.start() < start and should.start("verb") > start:
            return True  # "stop and call 999 should chest or jaw pain develop"
    cond = _CONDITIONAL.search(sentence, 0, start)
    if cond is not None and _ASKS_IF_OK.search(sentence, max(0, cond.start() - 60),
                                              cond.end()):
        cond = None  # "is it ok to train if I've got a murmur?": what the client has
    if cond is not None and _GIVES_REASON.search(sentence, cond.end(), start):
        cond = None  # "asked if she can come later because her back is locked up ..."
    if cond is not None and _OK_FOR.fullmatch(sentence, cond.end(), start):
        return False  # "asked if yoga is OK for back stiffness that ...": what she has
    if cond is not None and _ASKS_BECAUSE.match(sentence, end):
        return False  # "asked if swollen ankles matter because hers have been fat ..."
    if cond is None and not (_education(sentence) and _teaches_here(sentence, start, end)):
        return False
    if cond is None and _reported_after_teaching(sentence, start):
        return False  # "asked if we have a class he can do sitting up, says he can't breathe"
    clause = _present_clause(sentence, start)
    if clause is None:
        return True
    lo, hi = clause
    listed = "," in sentence[hi:]
    if cond is not None and (listed or _CONDITIONAL.search(sentence, lo, start)):
        return True
    # (a cue's match can begin clauses before its last word: "for clients over 60, ask";
    # or be a question over the sentence: "if my back becomes stiff in the mornings,
    # should I stop?")
    return bool(_EDUCATION.search(sentence[lo:hi])
                or (listed and _EDUCATION.search(sentence[:lo]))
                or any(lo < m.end() <= hi or (m.start() <= lo and m.group().endswith("?"))
                       for m in _EDUCATION.finditer(sentence)))



def _reported_after_teaching(sentence: str, start: int) -> bool:
    """A reason or a report ("because her ...", ", says ...") between the last teaching
    cue before the mention and the mention: the mention is what the client has."""
    last = None
    for m in _EDUCATION.finditer(sentence, 0, start):
        last = m
    return last is not None and bool(_GIVES_REASON.search(sentence, last.end(), start))

# Teaching whose object follows it: "trainer asked about ...", "told member that ...".
_FORWARD = startset.compile(r"(?<![\w])(?:about|(?<!like )(?<!as )that|to|whether|if|for)\s*$")


def _teaches_here(sentence: str, start: int, end: int) -> bool:
    """Whether a teaching cue can be about the mention. A cue that points forward to
    what it is about ("trainer asked about", "told member that") is about its own clause:
    not a complaint in a clause before it ("chest pain, trainer asked about goals") or
    after it that says something of its own ("FD: told member about the new timetable,
    ankles swollen both sides"); it does reach a list ("warned that any dizziness, double
    vision or trouble swallowing ... means stop")."""
    before = sentence.rfind(",", 0, start)
    after = sentence.find(",", start)
    clause = sentence[before + 1:after if after >= 0 else len(sentence)]
    for m in _EDUCATION.finditer(sentence):
        if not _FORWARD.search(m.group()):
            return True
        if before < m.end() <= max(end, after if after >= 0 else len(sentence)):
            return True  # the cue ends in the mention's clause or inside its words
        if m.end() <= before and not (_a_statement(clause) or _PRESENT.search(clause)):
            return True  # a list after it: "warned that any dizziness, double vision ..."
    return False


def _present_clause(sentence: str, start: int) -> tuple[int, int] | None:
    """The clause between commas where the mention begins, when it tells the present."""
    lo = sentence.rfind(",", 0, start) + 1
    comma = sentence.find(",", start)
    hi = comma if comma >= 0 else len(sentence)
    return (lo, hi) if _tells_present(sentence[lo:hi]) else None


# Facts of a whole sentence, asked again for each mention in it: the last few kept.
@lru_cache(maxsize=8)
def _education(sentence: str) -> bool:
    return bool(_EDUCATION.search(sentence))


_FAMILY_AFTER = startset.compile(
    r"^[^,;.]{0,15}?(?<![\w])(?:runs in|in) (?:the |my |our )?family(?![\w])")


# A relative who tells of the client ("wife says he has been wetting the bed", "client's
# wife reports he cannot raise his arm"): the relative is the source, not the subject.
_REPORTS = startset.compile(
    r"(?:'s)?(?: (?:has|had|have|also|just))? (?:says?|said|reports?|reported|noticed|notices|"
    r"tells? (?:me|us)|told (?:me|us)|mentioned|mentions|states?|stated|thinks|thought|"
    r"explains?|explained|is worried|was worried|worries|complains? that|adds?|added)(?![\w])")


# A relative who helps the client ("needs her partner to help her out of bed"): the
# relative is the helper, not the subject.
_HELPS = startset.compile(
    r" (?:(?:has|have|had|needs?|needed) to )?(?:to )?(?:help|helps|helped|helping|lift|lifts|"
    r"lifted|pull|pulls|pulled) (?:me|him|her|them)(?![\w])")


# A relative the client handles is the object, not the subject ("since she hurt her back
# lifting her toddler she has lost feeling ...").
_HANDLED = startset.compile(r"(?<![\w])(?:lift|lifts|lifting|lifted|carry|carries|carrying|carried|"
                            r"pick(?:s|ing|ed)? up|hold(?:s|ing)?|chasing|chased|bathing|"
                            r"dressing|feeding) (?:my|her|his|their|our|the) $")


# "no kids and chest pain for an hour now": nobody else is the subject.
_NONE_OF_THEM = startset.compile(r"(?<![\w])(?:no|(?:don'?t|do not) have(?: any)?)\s+$")


def _other_person(sentence: str, start: int, end: int, head: str | None = None,
                  signed: bool = False, written_for: frozenset[str] = frozenset()) -> bool:
    """``signed``: another sentence of the text is a relative's byline ("I'm her
    daughter writing this"), so a parent or spouse named bare is the client;
    ``written_for``: the kin the byline names ("writing for my brother"): another
    relative is still someone else ("my sister had ...")."""
    if _FAMILY_AFTER.match(sentence[end:]):  # "diabetes runs in my family"
        return True
    inside = _OTHER_INSIDE.search(sentence, start, end)
    if inside:
        return not (signed or _by_relative(sentence)) \
            or _not_written_for(inside.group(), written_for)
    told = _APPOSITIVE.search(sentence, 0, start)  # "my grandad, who's 82, has just had"
    if told is not None and not _SELF.search(sentence, told.end(), start):
        return not (signed or _by_relative(sentence)) \
            or _not_written_for(told.group(), written_for)
    full = _clause_head(sentence, start) if head is None else head
    if (signed or _by_relative(sentence)) and _NOT_THE_CLIENT.search(
            sentence, max(0, start - 60), start):
        return True  # "Writing for my daughter Jess: her friend hurt her neck ..."
    head = full.split(",")[-1]
    who = _last(_OTHER_PERSON, head)
    if who is None:
        # "her partner is in hospital with a spinal infection, fever and back pain"
        listed = _THEIR_LIST.search(full)
        return bool(listed is not None and not _SELF.search(full, listed.start("rest"))
                    and not _NEW_CLAUSE.search(head)
                    and not (signed or _by_relative(sentence)))
    if _OWN.search(head + sentence[start:start + 12], who.end()):  # "her own jaw aches"
        return not (signed or _by_relative(sentence)) \
            or _not_written_for(who.group(), written_for)
    if _REPORTS.match(head, who.end()) or _HELPS.match(head, who.end()) \
            or _NONE_OF_THEM.search(head, 0, who.start()):
        return False
    if _COMPANION.search(head[:who.start()]) and not _ABOUT_THEM.search(head[who.end():]):
        return False
    if _HANDLED.search(head, 0, who.start()) and not _WHO_CLAUSE.match(head, who.end()):
        return False  # "hurt her back lifting her toddler, she has lost feeling": the client
    rest = head[who.end():]
    about = _WHO_CLAUSE.match(rest)  # "my friend who trains with me has ...": theirs
    if about is not None:
        rest = rest[about.end():]
    return not _SELF.search(rest + sentence[start:start + 4]) \
        and (not (signed or _by_relative(sentence))
             or _not_written_for(who.group(), written_for))


# Kin words as one kin each (the byline's "my husband" is the "partner" of the text).
_KIN = {"mum": "mother", "mom": "mother", "mother": "mother", "dad": "father",
        "father": "father", "grandad": "grandfather", "granddad": "grandfather",
        "grandpa": "grandfather", "grandfather": "grandfather", "grandma": "grandmother",
        "granny": "grandmother", "gran": "grandmother", "grandmother": "grandmother",
        "nan": "grandmother", "nana": "grandmother", "aunt": "aunt", "auntie": "aunt",
        "wife": "partner", "husband": "partner", "partner": "partner", "da": "father",
        "mam": "mother", "mammy": "mother", "maw": "mother", "mate": "friend",
        "bro": "brother", "sis": "sister"}
_KIN_WORD = startset.compile(r"(?<![\w])(?:" + _RELATIVE + r"|grandson|"
                             r"granddaughter)(?=s?(?![\w]))")
# "Writing for my brother, the client: ...", "For my wife Kate:", "on behalf of my dad"
_WRITES_FOR = startset.compile(r"(?<![\w])(?:for|on behalf of) (?:my|"
                               r"our) (" + _RELATIVE + r")(?![\w])")


def _kin(word: str) -> str:
    return _KIN.get(word, word)


def _written_for(norm: str) -> frozenset[str]:
    """The kin a relative's byline says the notes are for (empty: none named)."""
    return frozenset(_kin(m.group(1)) for m in _WRITES_FOR.finditer(norm))


def _not_written_for(words: str, written_for: frozenset[str]) -> bool:
    """Whether ``words`` name a relative, none of whom is the one the byline writes for
    ("my sister had ..." in notes written for "my brother")."""
    if not written_for:
        return False
    kin = {_kin(m.group()) for m in _KIN_WORD.finditer(words)}
    return bool(kin) and not kin & written_for


_OWN = startset.compile(r"(?<![\w])(?:his|her|their) own(?![\w])(?! (?:two )?feet)")  # (the idiom)
# In a text a relative signs for the client, someone who is plainly not the client: a
# friend or neighbour (not the one written for), "Colin's brother", "it's my mum who".
_NOT_THE_CLIENT = re.compile(
    # (not the byline's own "from Mere's partner:")
    r"(?<![\w])(?<!for )(?<!from )(?<!by )(?:(?:(?:my|his|her|their|our) (?:friend|neighbou?r|"
    r"colleague|flatmate|"
    r"housemate|workmate|team ?mate|buddy|pal))|(?!(?:client|member|patient|pt|cl)'?s )"
    r"[a-z]+'s (?:brother|sister|mum|mom|mother|dad|"
    r"father|friend|son|daughter|wife|husband|partner)|it'?s (?:my|our|his|her) (?:"
    + _RELATIVE + r") who)(?![\w])[^.;!?]{0,40}$")
# Another person's list of complaints: "her partner is in hospital with a spinal infection,
# fever and back pain" (each item after a comma is still theirs).
_THEIR_LIST = startset.compile(r"(?<![\w])(?:my|his|her|their|our) (?:" + _RELATIVE + r"|"
                               r"neighbou?r|"
                               r"colleague|flatmate)(?P<rest> (?:[\w']+ ){0,4}?)(?:with|has|had|"
                               r"have|"
                               r"suffers from|diagnosed with)(?![\w])[^;!?]*$")
_WHO_CLAUSE = re.compile(r",?\s+(?:who|that)\s+(?:[\w']+\s+){1,6}?(?=(?:has|have|had|gets|got|"
                         r"suffers|keeps)(?![\w]))")


@lru_cache(maxsize=8)
def _by_relative(sentence: str) -> bool:
    """The sentence is signed as written by a relative for the client (_PROXY)."""
    return bool(_PROXY.search(sentence))


@lru_cache(maxsize=8)
def _old(sentence: str, as_year: int) -> bool:
    for m in _OLD.finditer(sentence):
        year = m.group("year")
        if year is None or int(year) < as_year - 1:
            return True
    return False


@lru_cache(maxsize=8)
def _resolved(sentence: str) -> bool:
    return bool(_RESOLVED.search(sentence)) and not _RECUR.search(sentence)


# ... and a present time after a past one: "sciatica in 2015, now my leg has no power",
# "slipped disc in 2019, since last month can't feel when I need to pee", "broke this
# ankle as a kid, rolled it again yesterday and the bone is very tender".
_CONTRAST = startset.compile(r"(?<![\w])(?:but|however|although|though|whereas|yet|"
                             r"except|apart from|now|currently|nowadays|these days|"
                             r"at present|yesterday|today|tonight|lately|recently|"
                             r"this (?:week|month|morning|fortnight)|last (?:week|night)|"
                             r"since (?:last|yesterday|monday|tuesday|wednesday|thursday|"
                             r"friday|saturday|sunday)|(?:for )?(?:the|these) (?:past|last) "
                             r"(?:few |couple of )?(?:days|weeks|fortnight|month|months)|"
                             r"(?:have|has|i've|just) started)(?![\w])")


def _contrasted(cue: re.Pattern[str], sentence: str, start: int, as_year: int = 0,
                until: int | None = None) -> bool:
    """Whether every ``cue`` of the sentence stands before a contrast that stands before
    ``start`` ("my back is ok now but my leg has no power": the "ok now" is the back's;
    "had sciatica years ago but now ..."), or before ``until`` when given (a past time,
    then a mention that names its own time: "broke this ankle as a kid, rolled it again
    yesterday and the bone is tender"). A cue after the mention ("arm weak last month,
    but fine now") still applies."""
    for m in cue.finditer(sentence):
        if cue is _OLD and m.group("year") is not None and int(m.group("year")) >= as_year - 1:
            continue  # a recent year is not a past time
        if m.end() > start or not _CONTRAST.search(sentence, m.end(),
                                                   start if until is None else until):
            return False
    return True


# Where a clause begins ("broke my wrist in 2015, | chest pain ...", "... and | ...").
_CLAUSE_BREAK = startset.compile(r",|(?<=\s)(?:and|so|but|&|\+|-)(?=\s)|(?<![0-9])/(?![0-9])")
# A clause that tells the present: a time now, or a verb in the present.
_PRESENT = startset.compile(
    r"(?<![\w])(?:now|right now|atm|rn|currently|at the moment|at present|still|since|today|"
    r"tonight|"
    r"this (?:morning|afternoon|evening|week)|lately|recently|these days|getting|every day|"
    r"each day|for (?:an?|the (?:past|last)|[0-9]+|a few|a couple of|two|three|four|five|"
    r"several) (?:hours?|hrs?|days?|weeks?|mins?|minutes?)|is|are|am|i'm|im|feels?|hurts?|"
    r"goes|gets|comes|keeps?|starts)(?![\w])")


def _tells_present(item: str) -> bool:
    return bool(_PRESENT.search(item) or _PART_IS.search(item))


def _own_clause(sentence: str, start: int, end: int) -> int:
    """Where the mention's own clause begins when it tells the present after a break
    ("broke my wrist in 2015 and it healed fine, chest pain for an hour now"): a past
    time, a resolution or an "if" in the clause before is about something else. 0 when
    the mention's words are not a clause of their own."""
    brk = _last(_CLAUSE_BREAK, sentence[:start])
    if brk is None:
        return 0
    comma = sentence.find(",", end)
    item = sentence[brk.end():comma if comma >= 0 else len(sentence)]
    if _tells_present(item) and (_BODY.search(item) or not _POINTS_BACK.match(item)):
        return brk.end()
    return 0


# What a later clause is about when it is not the mention's ("..., broke my wrist in 2015
# and it healed fine", "..., knee op years ago, all healed", "..., had covid in 2021").
_TOPIC = startset.compile(
    r"(?<![\w])(?:op|operation|surgery|covid|flu|virus|sprain|sprained|strain|tear|torn|"
    r"fracture|fractured|broke|broken|injury|injured|accident|braces|dentist|"
    # a passing illness ("..., the cough is much better now", "..., the sore throat has
    # resolved")
    r"(?P<passing>cough|sore throat|rash|headache|migraine|(?:tummy|stomach|sickness) bug|"
    r"(?:chest|ear|throat|urine|water) infection|uti|toothache|hay ?fever)|"
    # a pastime of the past ("- I used to play rugby years ago and ...")
    r"used to (?:play|do|run|swim|box|dance|ride|lift|climb|cycle)|as a (?:teen|teenager|kid|"
    r"child)|(?:my|his|her|the|left|right|"
    r"old) (?:\w+ )?(?:wrist|knee|ankle|shoulder|hip|elbow|neck|hamstring|foot|hand|arm|"
    r"leg|finger|toe|achilles|acl|rotator cuff)|"
    # a test or an episode dated before now ("..., the MRI last year was clear", "..., the
    # back pain from 2019 settled with physio")
    r"(?P<dated>mri|scan|x-?ray|ct|ultrasound|ecg|echo|bloods|blood tests?|(?:(?:back|neck|"
    r"chest|knee|hip|shoulder|leg|arm|calf|foot|ankle|head) )?(?:pain|problem|episode|"
    r"flare))(?= (?:in|from|back in) (?:19|20)[0-9]{2}(?![\w])| (?:last|the previous) (?:year|"
    r"summer|winter|spring|autumn)| (?:[0-9]+|two|three|four|five|several|a few|many) "
    r"years ago))(?![\w])")


def _without_other_topics(sentence: str, start: int, end: int) -> str:
    """The sentence with the clauses about a topic of their own blanked (offsets kept):
    from the first after the mention's clause to the end ("chest pain for an hour now,
    broke my wrist in 2015 and it healed fine"), and every clause before it when one of
    them has such a topic ("knee op years ago, all healed, numb between my legs"). Their
    past times and resolutions are that topic's. Not when the mention's clause names the
    same thing ("knee op in 2015, knee pain ...")."""
    before = _last(_CLAUSE_BREAK, sentence[:start])
    lo = before.end() if before is not None else 0
    after = _CLAUSE_BREAK.search(sentence, end)
    hi = after.start() if after is not None else len(sentence)
    clause = sentence[lo:hi]
    for topic in _TOPIC.finditer(sentence, after.end()) if after is not None else ():
        if _names(clause, topic):
            break
        if not _topic_here(clause, topic):
            continue  # "a murmur at my work medical, but the echo last spring was normal"
        cut = _last(_CLAUSE_BREAK, sentence[:topic.start()])
        at = max(after.end(), cut.end() if cut is not None else after.end())
        # ("..., none since the operation last year": the mention's own end, dated)
        if not _TOLD_OF_IT.search(sentence, at, topic.start()):
            sentence = sentence[:at] + " " * (len(sentence) - at)
            break
    # (not a clause that points back: "..., and the pain settled" is the earlier
    # topic's pain, unless it names a part of its own)
    if lo and (_BODY.search(clause) or not _POINTS_BACK.match(clause)):
        topic = _last(_TOPIC, sentence[:lo])
        if topic is not None and not _names(clause, topic) and _topic_here(clause, topic):
            sentence = " " * lo + sentence[lo:]
    return sentence


_BODY = startset.compile(
    r"(?<![\w])(?:chest|heart|arms?|legs?|calf|calves|knees?|ankles?|feet|foot|hands?|face|"
    r"neck|back|spine|hips?|bladder|bowels?|bum|groin|privates|jaw|head|thighs?|shins?|"
    r"toes?|fingers?|wee|pee|urine|stool|breath|breathing)(?![\w])")
_POINTS_BACK = re.compile(r"\s*(?:(?:and|but|then|so) )?(?:the|it|its|it'?s|this|that|which|"
                          r"these|those|they|there)(?![\w])")
_TOLD_OF_IT = startset.compile(r"(?<![\w])(?:none|nothing|no|not|never|fine|gone|ok|okay|"
                               r"better|settled|resolved|it|which|that)(?![\w])")


def _topic_here(clause: str, topic: re.Match[str]) -> bool:
    """A dated test or episode, or a passing illness, is another topic only beside a
    complaint whose own clause tells the present."""
    return not (topic["dated"] or topic["passing"]) or _PRESENT.search(clause) is not None


def _names(clause: str, topic: re.Match[str]) -> bool:
    # (a dated episode by its whole name: "chest pain ..., the back pain from 2019 ...")
    word = topic.group() if topic["dated"] else topic.group().split()[-1]
    return re.search(rf"(?<![\w]){re.escape(word)}", clause) is not None


def _fallback_dated(entry: Entry, sentence: str, match: re.Match[str]) -> bool:
    """The sentence dates or calls long-standing what the fallback matched ("chest pain
    on and off for years"), not another topic's clause ("pressure in my chest as I'm
    writing this, knee op years ago, all healed")."""
    if entry.fallback_unless is None or entry.fallback_unless.search(sentence) is None:
        return False
    start, end = match.start(), match.end()
    own = _own_clause(sentence, start, end)
    judged = _without_other_topics(sentence[own:], start - own, end - own)
    return entry.fallback_unless.search(judged) is not None


def _current(entry: Entry, sentence: str, start: int, end: int, as_year: int,
             lasting: bool = False) -> str | None:
    """Why a match is not a current mention (None = it is current). ``lasting``: the
    words name a condition one keeps (a past time dates its diagnosis, not its end)."""
    why = _span_why(sentence, start, end, _SIGNED.get(),
                    (len(sentence), sentence[:4]) in _CARRIED.get(), _WRITTEN_FOR.get())
    if why is not None:
        return why
    why = _past_or_resolved(entry, sentence, start, end, as_year, lasting)
    if why is None:
        return None
    # the past time or the resolution may be another clause's
    own = _own_clause(sentence, start, end)
    if own:  # the cues of the clauses before the mention's are theirs
        sentence, start, end = sentence[own:], start - own, end - own
    sentence = _without_other_topics(sentence, start, end)
    return _past_or_resolved(entry, sentence, start, end, as_year, lasting)


def _past_or_resolved(entry: Entry, sentence: str, start: int, end: int, as_year: int,
                      lasting: bool) -> str | None:
    if not lasting and entry.kind in ("symptom", "timed") and _old(sentence, as_year) \
            and not (entry.ongoing and _SINCE_ONSET.search(sentence)) \
            and not _PENDING.search(sentence) \
            and not _contrasted(_OLD, sentence, start, as_year, end):
        return "past"
    if entry.kind in ("symptom", "condition") and _resolved(sentence) \
            and not _contrasted(_RESOLVED, sentence, start) \
            and not (entry.transient and _RECENT.search(sentence)):
        return "resolved"
    return None


# The clause rules that do not depend on the entry, for one span of one sentence: the
# word lists and the combinations often match the same words for several entries
# (chest pain is chest pain now, exertional chest discomfort, PAR-Q+ G2, ...), which
# were judged again for each (over the tuning phrases: 32,877 judgements, 17,839 spans).
# Advice that begins inside a combination's words ("because of my osteoporosis I should
# report any sudden bad back pain", "on chemo any new back pain should be reported"): the
# complaint is what to report, not what the client has.
_ADVICE = startset.compile(r"(?<![\w])(?:report any|any(?![\w])[^.;!?]{0,60}?,? (?:get|have) "
                           r"(?:your|it|yourself|them)(?: [\w']+)? (?:checked|seen|looked at)|"
                           r"any(?![\w])[^.;!?]{0,50}?(?:should|must|needs? "
                           r"to) be (?:reported|checked|mentioned|seen)|any(?![\w])[^.;!?]{0,50}?"
                           r"(?:would|will|might) need (?:an? )?(?:x-?ray|scan|check|review|to be "
                           r"seen)|(?:told|asked|advised) to "
                           r"(?:mention|report|tell us about|let us know about) any)")


@lru_cache(maxsize=256)
def _span_why(sentence: str, start: int, end: int, signed: bool = False,
              carried: bool = False, written_for: frozenset[str] = frozenset()) -> str | None:
    head = _clause_head(sentence, start)  # the same for both tests
    if _negated(sentence, start, end, head):
        return "negated"
    if _conditional(sentence, start, end):
        return "conditional"
    advice = _ADVICE.search(sentence, max(0, start - 60))
    if advice is not None and advice.start() < end and advice.end() >= start - 2:
        return "conditional"
    if _other_person(sentence, start, end, head, signed, written_for):
        return "someone_else"
    # a sentence about the relative named just before it, unless the writer's own words
    # come first in it ("She says my ankles are puffy")
    if carried and not _SELF.search(sentence, 0, start):
        return "someone_else"
    return None


# Two readings of a weight, the first before the second ("82 -> 74 kg", "80kg to 74",
# "82kg (Jan) -> 74kg").
_READINGS = re.compile(r"([0-9]{2,3}(?:\.[0-9])?) ?(?:kg|kgs|lbs?)?(?: \([a-z]+\))? ?"
                       r"(?:→|->|-->|to|down to) ?"
                       r"([0-9]{2,3}(?:\.[0-9])?)")
# ... or one reading dated and the other today ("weight 72.4 kg (Sept), 65.1 kg today")
_READINGS_DATED = re.compile(r"([0-9]{2,3}(?:\.[0-9])?) ?(?:kg|kgs|lbs?)[^0-9.;!?]{0,25}?"
                             r"([0-9]{2,3}(?:\.[0-9])?) ?(?:kg|kgs|lbs?) (?:today|now|this week)")
# ... or today's first ("78.4 kg today against 86 kg", "61 kg now, 68 kg then"): after, before
_READINGS_TODAY_FIRST = re.compile(r"([0-9]{2,3}(?:\.[0-9])?) ?(?:kg|kgs|lbs?) (?:today|now),? "
                                   r"(?:against |compared (?:to|with) |vs\.? |versus )?"
                                   r"([0-9]{2,3}(?:\.[0-9])?) ?(?:kg|kgs|lbs?)")


# ... or today's first, then the past one told with "was" ("the scale shows 68 kg, in the
# summer I was 76"): after, before
_READINGS_NOW_THEN = re.compile(r"([0-9]{2,3}(?:\.[0-9])?) ?(?:kg|kgs)[^0-9.;!?]{0,30}? "
                                r"was ([0-9]{2,3}(?:\.[0-9])?)(?![0-9])")


def _weights(words: str) -> tuple[float, float] | None:
    """The two readings of a weight the words give, (before, after), or None."""
    found = _READINGS.search(words) or _READINGS_DATED.search(words)
    if found is not None:
        return float(found.group(1)), float(found.group(2))
    found = _READINGS_TODAY_FIRST.search(words) or _READINGS_NOW_THEN.search(words)
    return None if found is None else (float(found.group(2)), float(found.group(1)))


def _bp_high(entry: Entry, sentence: str, match: re.Match[str]) -> bool:
    if entry.drop is not None:
        weights = _weights(match.group(0))
        if weights is not None:
            before, after = weights
            return after <= before * (1 - entry.drop / 100)
    if entry.bp is None:
        return True
    values = re.search(r"([0-9]{2,3}) ?/ ?([0-9]{2,3})", match.group(0))
    if values is None:
        return True  # "don't know my blood pressure": answer YES (PARQ-4 note)
    return int(values.group(1)) >= entry.bp[0] or int(values.group(2)) >= entry.bp[1]


def _viable(alts: Alternatives, present: int) -> int:
    """The alternatives (bit k: alternative k) that can match in a sentence with the
    literals ``present``: the rarest set of each found by the literal pass, then (unless
    that left every one) each one's other sets checked."""
    viable = (present >> alts.shift) & alts.full | alts.always
    if viable == alts.full or not viable:
        return viable
    needs = alts.needs  # (0: its rarest set, which found it, is all it needs)
    if not viable & (viable - 1):  # one alternative (the usual case): no loop
        need = needs[viable.bit_length() - 1]
        return viable if not need or need & present == need else 0
    rest, viable = viable, 0
    while rest:
        low = rest & -rest
        rest ^= low
        need = needs[low.bit_length() - 1]
        if not need or need & present == need:
            viable |= low
    return viable


def _matches(pattern: re.Pattern[str], sentence: str, present: int,
             alternatives: dict[int, Alternatives] | None = None
             ) -> Iterable[re.Match[str]]:
    """``pattern.finditer(sentence)``, from only those of its alternatives the sentence
    holds the required literals of (``present``: _candidates' mask; -1: all).
    ``alternatives``: the lexicon's (looked up when not given)."""
    if alternatives is None:
        alternatives = lexicon().alternatives
    alts = alternatives.get(id(pattern))
    if alts is None:
        return pattern.finditer(sentence)
    return _viable_matches(pattern, alts, _viable(alts, present), sentence)


def _viable_matches(pattern: re.Pattern[str], alts: Alternatives, viable: int,
                    sentence: str) -> Iterable[re.Match[str]]:
    """_matches once the alternatives that can match (``viable``) are known: an empty
    tuple when none can."""
    if viable == alts.full or viable & (viable - 1):  # all, or several: the whole pattern
        return pattern.finditer(sentence)  # (see Alternatives)
    if not viable:
        return ()
    return alts.alone(viable.bit_length() - 1).finditer(sentence)


def _first_current(entry: Entry, pattern: re.Pattern[str], sentence: str,
                   as_year: int, misses: list[tuple[str, str]], present: int = -1,
                   alternatives: dict[int, Alternatives] | None = None,
                   found: Iterable[re.Match[str]] | None = None) -> re.Match[str] | None:
    """The first of the pattern's matches that is current (``found``: those matches,
    when the caller has them already)."""
    if found is None:
        found = _matches(pattern, sentence, present, alternatives)
    for match in found:
        why = _current(entry, sentence, match.start(), match.end(), as_year)
        if why is None and _bp_high(entry, sentence, match):
            return match
        if why is not None:
            misses.append((match.group(0), why))
    return None


def _spans(entry: Entry, needs: EntryMasks, sentence: str, present: int, as_year: int,
           misses: list[tuple[str, str]], alternatives: dict[int, Alternatives],
           any_matches: Iterable[re.Match[str]],
           group_firsts: int = -1, group_order: dict[int, tuple[int, ...]] | None = None
           ) -> list[tuple[int, int]]:
    """The spans of an entry's first current match in the sentence: of its `any` terms
    (``any_matches``: their matches as _read_sentences set them up, () when none can),
    else of every pattern of its first `all` group that matches whole (in order, up to
    the first pattern that does not match). Matches set aside go to ``misses``. A
    pattern whose required literals the sentence lacks matches nothing: not run."""
    if any_matches:
        assert entry.any is not None
        match = _first_current(entry, entry.any, sentence, as_year, misses, found=any_matches)
        if match is not None:
            return [match.span()]
    hits = group_firsts & present
    if not hits:  # (most sentences: no group's first pattern can match)
        return []
    for j in _groups_hit(hits, group_order, len(needs.all)):  # in order; a group whose
        group = needs.all[j]  # first pattern cannot match runs nothing
        if not group or group[0] & present != group[0]:
            continue
        spans = []
        for pattern, need in zip(entry.all[j], needs.all[j], strict=True):
            part = (_first_current(entry, pattern, sentence, as_year, misses, present,
                                   alternatives)
                    if need & present == need else None)
            if part is None:
                break
            spans.append(part.span())
        else:
            return spans
    return []


def _benign(lex: Lexicon, index: int, sentence: str, present: int, start: int = -1) -> bool:
    """``entry.unless.search(sentence)`` for entry ``index``: not run when the sentence
    lacks the literals it needs, and run as its possible alternatives only (_matches).
    With ``start`` (where the mention begins), a benign context told before a contrast
    that stands before the mention does not count ("pelvic floor fine before but now
    leaking urine with no warning")."""
    pattern = lex.entries[index].unless
    if pattern is None:
        return False
    need = lex.unless[index] if lex.unless else 0
    if need & present != need:
        return False
    for m in _unless_matches(pattern, sentence, present, lex.alternatives):
        if _cause_denied(sentence, m.start(), m.group()):
            continue  # "jaw aches on the stairmaster, not her muscles": ruled out
        if _UNTICKED.match(sentence, m.end()):
            continue  # a form's "Varicose veins [ ]": an option left unticked
        if _not_the_cause(sentence, m.start()):
            continue  # "like when you've sat cross-legged", "Can I do the spin class? ..."
        if start >= 0 and m.start() > start \
                and _HEDGE.search(sentence, max(0, m.start() - 40), m.start()):
            continue  # "races when I'm just sitting, probably the coffee": a guess after
        if start < 0 or m.end() > start:
            return True
        if _BUT_NOW.search(sentence, m.end(), start):
            continue
        # "Probably just my cheap mattress, but ...": a cause the client blames, then the
        # complaint anyway
        if _HEDGE.search(sentence, max(0, m.start() - 40), m.start()) \
                and _BUT.search(sentence, m.end(), start):
            continue
        return True
    return False


# An ``unless`` pattern is many benign contexts, a few of which a sentence holds the
# literals of: run as those alternatives alone, one after the other, rather than as the
# whole alternation tried at every start (issue 13). Each match is judged on its own in
# _benign; an alternative's own matches can only add one the alternation would have
# skipped (overlapping an earlier match), never lose one (corpus and golden unchanged).
_UNLESS_ALONE = 4


def _unless_matches(pattern: re.Pattern[str], sentence: str, present: int,
                    alternatives: dict[int, Alternatives]) -> Iterable[re.Match[str]]:
    alts = alternatives.get(id(pattern))
    if alts is None:
        return pattern.finditer(sentence)
    viable = _viable(alts, present)
    if viable == alts.full or viable.bit_count() > _UNLESS_ALONE:
        return pattern.finditer(sentence)
    found: list[re.Match[str]] = []
    while viable:
        low = viable & -viable
        viable ^= low
        found += alts.alone(low.bit_length() - 1).finditer(sentence)
    return sorted(found, key=lambda m: m.start()) if len(found) > 1 else found


# A benign cause the writer rules out: "it's NOT from the spin bike", "not her muscles"
# (not "didn't warm up": the cause itself, told in the negative).
_CAUSE_DENIED = re.compile(r"(?:(?<![\w])not|n't|(?<![\w])never)\s+(?:(?:just )?an?\s+|"
                           # ("not a nightmare, I was wide awake")
                           r"(?:from|because of|caused by|due to|down to|related to|linked to)"
                           r"\s+(?:(?:the|my|his|her|their|a|an|all|that|this)\s+)?(?:[\w']+\s+)?|"
                           r"(?:the|my|his|her|their)\s+|"
                           # "never happened before, not even after having the kids"
                           r"even\s+)$")
_CAUSE_WORD = re.compile(r"(?:from|because of|caused by|due to|down to|related to|linked to)"
                         r"(?![\w])")
_NOT_BEFORE = re.compile(r"(?:(?<![\w])not|n't|(?<![\w])never)\s+$")


def _cause_denied(sentence: str, start: int, benign: str) -> bool:
    """Whether the writer rules out the benign cause told at ``start`` (``benign``: its
    words), the cause word in it or before it ("not from the spin bike")."""
    before = sentence[max(0, start - 40):start]
    return bool(_CAUSE_DENIED.search(before)
                or (_CAUSE_WORD.match(benign) and _NOT_BEFORE.search(before)))


_HEDGE = startset.compile(r"(?<![\w])(?:probably|maybe|perhaps|might be|could be|i think it'?s|"
                          r"i'?m sure it'?s|no doubt)(?: just| only| all| because of| down to)?"
                          r"[^,;.]{0,30}$")
_BUT = startset.compile(r"(?<![\w])but(?![\w])")


# A contrast that turns from a benign past to the complaint ("fine before but now ...").
_BUT_NOW = startset.compile(r"(?<![\w])(?:but now|but since|whereas now|however now|"
                            r"but recently|but this week|but today)(?![\w])")


def read(text: str, field: str = "text", *, as_of: dt.date | None = None,
         by_relative: bool = False) -> tuple[list[Mention], list[dict[str, str]]]:
    """The current mentions in one text, and the matches set aside (with why).
    ``by_relative``: the intake says a relative or carer wrote it, so a parent, spouse
    or child named bare ("Mum has ...") is the client."""
    return _read(text, field, (as_of or dt.date.today()).year, by_relative)


def _read(text: str, field: str, as_year: int, by_relative: bool = False
          ) -> tuple[list[Mention], list[dict[str, str]]]:
    lex = lexicon()
    norm, where = lex.spelling.repair(_normalise(text))
    sentences = _sentences(norm)
    is_signed = by_relative or (len(sentences) > 1 and _signed(norm)) or _for_them(norm)
    signed = _SIGNED.set(is_signed)
    written_for = _WRITTEN_FOR.set(_written_for(norm))  # (a sentence's own byline too)
    carried = _CARRIED.set(_carried_others(sentences)
                           if not is_signed and len(sentences) > 1 and _SELF_CLAIM.search(norm)
                           else frozenset())
    try:
        return _read_sentences(lex, sentences, text, where, field, as_year)
    finally:
        _SIGNED.reset(signed)
        _WRITTEN_FOR.reset(written_for)
        _CARRIED.reset(carried)


# "Member came in to cancel her husband's sessions. He has a bad back and bladder
# problems.": a sentence that begins with "he" or "she" right after one whose last person
# is a relative of that sex (or, from a writer who says "I", a partner or friend) is about
# them. Only where the text says whose form it is (a desk's note about the member, "this
# form is for me"): a relative often writes for the client without a byline the reader
# knows ("My husband asked me to write this ... He gets a squeezing feeling ...").
# The sentences are kept by their length and first characters, as a judged sentence
# keeps both (_current).
_SELF_CLAIM = startset.compile(r"(?<![\w])(?:(?:reception|fd|front desk|desk|session notes?)\s*[:-]"
                               r"\s*(?:the )?(?:member|client)|(?:this form|the form|this) is for "
                               r"me|(?:for|by) myself|"
                               r"(?:i'?m|i am) the (?:member|client|one joining)|"
                               r"(?:is|am) (?:joining|well|fine) (?:herself|himself|myself))"
                               r"(?![\w])")
_CARRIED: contextvars.ContextVar[frozenset[tuple[int, str]]] = contextvars.ContextVar(
    "carried", default=frozenset())
_MALE = r"husband|dad|father|son|brother|grandad|granddad|grandpa|grandfather|boyfriend|"  \
    r"uncle|nephew|grandson|stepdad"
_FEMALE = r"wife|mum|mom|mother|daughter|sister|gran|granny|grandma|grandmother|nan|nana|" \
    r"girlfriend|aunt|auntie|niece|granddaughter|stepmum"
_PERSON_LAST = startset.compile(r"(?<![\w])(?:(?P<m>" + _MALE + r")|(?P<f>" + _FEMALE + r")|"
                                r"(?P<n>partner|friend|neighbou?r|colleague|flatmate)|"
                                r"(?P<c>client|member|cl|pt|patient|trainee|herself|himself))"
                                r"(?:'?s)?(?![\w])")
_PRONOUN_START = re.compile(r"\s*(?:(?P<m>he)|(?P<f>she))(?:'s|'d|'ll)?(?![\w])")


def _carried_others(sentences: list[tuple[int, str]]) -> frozenset[tuple[int, str]]:
    out = set()
    sex = ""  # the pronouns that would point to the last other person named ("m", "f")
    subject = None  # the pronoun that began the sentence before, when about the client
    for _, sentence in sentences:
        start = _PRONOUN_START.match(sentence)
        said = ("m" if start.group("m") else "f") if start is not None else None
        if said is not None and said in sex and said != subject:
            out.add((len(sentence), sentence[:4]))
            continue  # "... He has COPD. He gets breathless ...": still them
        # "He is going to his son's graduation. He said he ...": the same "he" as before
        subject = said
        last = _last(_PERSON_LAST, sentence)
        if last is None or last.group("c"):
            sex = ""
        elif last.group("n"):
            sex = "mf" if _SELF.search(sentence) else ""
        else:
            sex = "m" if last.group("m") else "f"
    return frozenset(out)


# A byline names one of these words: looked for first, as _PROXY over a whole text costs
# about a tenth of a screen (issue 13), and most texts have none.
_PROXY_WORDS = re.compile(r"son|daughter|wife|husband|partner|carer|behalf|writ|fill|complet|"
                          r"typ|mum|mom|mother|dad|father|parent")


# A text that opens with a relative who is the one joining ("My son is 15 and has a heart
# murmur ..., he wants to join the teen class", "Dad had chest pain at breakfast ..., he
# insisted on coming") and never speaks of the writer: a relative writing for the client.
_OPENS_WITH_RELATIVE = re.compile(r"\s*(?:my |our )?(?:" + _RELATIVE + r")(?:'s)?(?![\w])")
_THEY_JOIN = startset.compile(r"(?<![\w])(?:he|she)(?:'s| is)? (?:still |really )?(?:wants?|"
                              r"would like|is keen|keen|insisted on|insists on|is hoping|hopes?|"
                              r"plans?|is desperate)(?: to)? (?:join|train|come|coming|start|"
                              r"sign up|exercise|keep training)(?![\w])(?! with (?:me|us))(?! too)")
_WRITER = startset.compile(r"(?<![\w])(?:i(?! am worried| think| thought)|i'm(?! worried)|im|i've|"
                           r"ive|i'd|i'll|me|myself|mine|we|us)(?![\w])")


# An email or message about a relative's own classes ("Subject: Mum. Hello, Mum's calf has
# swollen up ... Please cancel her class. Regards, Jane"): the relative is the member, the
# writer only passes it on (the writer may speak: "we're calling 111").
_NAMES_RELATIVE = startset.compile(r"(?<![\w])(?:" + _RELATIVE + r")(?:'s)?(?![\w])")
_THEIR_BOOKING = re.compile(
    r"(?<![\w])(?:(?:please|kindly|can you|could you|can we|could we|(?:i|we)(?:'d like| need| "
    r"have| want|'ll| will) to|(?:i|we)'ll) (?:\w+ )?"
    r"(?:cancel|hold|pause|freeze|postpone|stop) (?:all )?(?:his|her|their) "
    r"(?:\w+ )?(?:class|classes|sessions?|membership|training|bookings?|appointments?)|"
    r"(?:his|her|their) (?:trainer|coach|instructor)|"
    r"keep an eye on (?:him|her) in (?:class|the gym)|"
    r"(?:he|she) (?:wants|would like|is keen|insists|insisted on|is desperate) (?:to )?"
    r"(?:come|coming|go|going) (?:to |back to )?(?:class|aqua|the gym|his|her|training)|"
    r"(?:he|she) won'?t be (?:at|in) (?:\w+ )?(?:class|the gym|training)|"
    r"(?:should|can|could|may) (?:he|she) (?:still )?(?:come|train|attend|do (?:his|her) class)|"
    r"(?:don'?t|do not) (?:let|put) (?:him|her)|"
    r"(?:at|in) your (?:[\w']+ ){0,2}(?:class|classes|gymnastics|sessions?)|"
    # "Subject: Grandad's sessions", "wants to come to aqua at 2"
    # (not "cancel her husband's sessions": the member's own relative, someone else)
    r"(?<!his )(?<!her )(?<!their )(?<!'s )"
    r"(?:" + _RELATIVE + r"|grandad|grandpa)'s (?:\w+ )?(?:class|classes|sessions?|membership|"
    r"training|bookings?)|wants? to come (?:to |back to )?(?:class|aqua|the gym|training)|"
    r"(?:who|he|she) (?:trains|swims|comes) (?:here )?with you)"
    r"(?![\w])")
_OWN_BOOKING = startset.compile(r"(?<![\w])(?:my|our) (?:own )?(?:class|classes|sessions?|"
                                r"membership|training|bookings?)(?![\w])")


def _for_them(norm: str) -> bool:
    if _OPENS_WITH_RELATIVE.match(norm):
        if _THEY_JOIN.search(norm) and not _WRITER.search(norm):
            return True
    elif not _NAMES_RELATIVE.search(norm, 0, 120):
        return False
    return bool(_THEIR_BOOKING.search(norm) and not _OWN_BOOKING.search(norm)
                and not _SELF_SIGNED.search(norm))


def _signed(norm: str) -> bool:
    """A relative's byline anywhere in the text, the writer not the client after all."""
    return bool(_PROXY_WORDS.search(norm) and _PROXY.search(norm)
                and not _SELF_SIGNED.search(norm))


# "I'm her daughter and I'm signing myself up": the writer is the client after all.
_SELF_SIGNED = startset.compile(
    r"(?<![\w])(?:(?:signing|sign|signed|joining|enrolling|registering) (?:myself|me) up|"
    r"joining (?:to|for) (?:keep|get|stay)|(?:keep|get) fit myself|"
    r"for (?:my own|myself)|(?:i'?m|i am) the (?:client|member)|my own (?:fitness|training|"
    r"membership))(?![\w])")


# Whether the text being read is signed by a relative in one of its sentences (set by
# _read for the sentences of one text; one sentence's own byline is _by_relative).
_SIGNED: contextvars.ContextVar[bool] = contextvars.ContextVar("signed", default=False)
# The kin the byline names, when it names one ("writing for my brother"): _other_person.
_WRITTEN_FOR: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "written_for", default=frozenset())


def _read_sentences(lex: Lexicon, sentences: list[tuple[int, str]], text: str,
                    where: Any, field: str, as_year: int
                    ) -> tuple[list[Mention], list[dict[str, str]]]:
    found: list[Mention] = []
    set_aside: list[dict[str, str]] = []

    def words(lo: int, hi: int) -> tuple[str, int, int]:
        if where is not None:
            lo, hi = where[lo], where[hi - 1] + 1
        if text.count('"', lo, hi) % 2 and text.startswith('"', hi) or \
                text.count("\u201c", lo, hi) > text.count("\u201d", lo, hi) \
                and text.startswith("\u201d", hi):
            hi += 1  # 'ankles have "blown up"', not 'ankles have "blown up'
        return text[lo:hi].strip(), lo, hi

    masks: list[tuple[int, str, int]] = []  # (offset, sentence, category mask)
    # (the lexicon's fields looked up once: a NamedTuple's field costs a call)
    entries, needed, alternatives = lex.entries, lex.masks, lex.alternatives
    group_firsts, group_order = lex.group_firsts, lex.group_order
    for offset, sentence in sentences:
        in_sentence: set[str] = set()
        fallbacks: list[int] = []
        candidates, present = _candidates(lex, sentence)
        while candidates:  # in order (bit by bit: no list of them built)
            low = candidates & -candidates
            candidates ^= low
            index = low.bit_length() - 1
            entry, needs = entries[index], needed[index]
            if entry.any is None or needs.any & present != needs.any:
                any_matches: Iterable[re.Match[str]] = ()
            elif (alts := alternatives.get(id(entry.any))) is None:
                any_matches = entry.any.finditer(sentence)
            else:  # (() when none of its alternatives can match: no call)
                any_matches = (_viable_matches(entry.any, alts, viable, sentence)
                               if (viable := _viable(alts, present)) else ())
            if not any_matches and not group_firsts[index] & present and (
                    entry.fallback is None or needs.fallback & present != needs.fallback):
                continue  # none of its patterns can match: (half the candidates) none run
            misses: list[tuple[str, str]] = []
            spans = _spans(entry, needs, sentence, present, as_year, misses, alternatives,
                           any_matches, group_firsts[index], group_order[index])
            if spans:  # (the usual case: one span)
                lo, hi = spans[0] if len(spans) == 1 else (min(s for s, _ in spans),
                                                           max(e for _, e in spans))
            if (spans or misses) and _benign(lex, index, sentence, present,
                                             lo if spans else -1):
                continue
            if spans:
                found.append(Mention(entry.flag, field, *words(offset + lo, offset + hi)))
                in_sentence.add(entry.flag)
            else:
                if entry.fallback is not None and needs.fallback & present == needs.fallback:
                    fallbacks.append(index)
                for phrase, why in misses[:1]:
                    set_aside.append({"field": field, "phrase": phrase, "flag": entry.flag,
                                      "why": why})
        masks.append((offset, sentence, _compositional(
            lex, sentence, offset, as_year, in_sentence, found, set_aside, field, words,
            present)))
        for index in fallbacks:
            entry = lex.entries[index]
            if in_sentence & set(entry.fallback_unless_flags) \
                    or _benign(lex, index, sentence, present):
                continue
            misses = []
            assert entry.fallback is not None
            match = _first_current(entry, entry.fallback, sentence, as_year, misses,
                                   present)
            if match is not None and not _fallback_dated(entry, sentence, match):
                found.append(Mention(entry.flag, field,
                                     *words(offset + match.start(), offset + match.end())))
    if len(masks) > 1:
        _across_sentences(lex, masks, as_year, found, field, words)
    return _with_multiple_conditions(found, field, text), set_aside


def _compositional(lex: Lexicon, sentence: str, offset: int, as_year: int,
                   in_sentence: set[str], found: list[Mention],
                   set_aside: list[dict[str, str]], field: str,
                   words: Any, literals: int = -1) -> int:
    """The second model (free_text_compose): body part x sensation x time/trigger
    combinations within a window of words. A combination is judged over its whole span
    by the same clause rules as a word-list match (negation before, inside or after it,
    resolution, conditionals, someone else, long past) and by the word-list entry's
    ``unless`` for that flag; it adds only flags the word lists did not find here.
    ``literals``: the sentence's mask of literal sets (_candidates)."""
    comp = compose.compiled()
    maybe, present = compose.scan(comp, sentence)
    if not present:
        return maybe
    present = _unanswered(comp, sentence, present)
    _keep_present(sentence, present)  # what a forced scan would find too
    mask = 0
    for c in present:
        mask |= 1 << c
    masked: list[int] = []
    fire = compose.firing(comp, mask, masked)
    for r in sorted(fire + masked):
        rule = comp.rules[r]
        todo = [f for f in rule.flags if f not in in_sentence]
        if not todo:
            continue
        spans = compose.combinations(rule, present)
        if r in masked:
            spans = _apart(sentence, spans, [h for c in rule.unless for h in present.get(c, ())])
            if not spans:
                continue
        for flag in todo:
            entry = lex.by_flag[flag]
            if _benign(lex, lex.index[flag], sentence, literals):
                continue
            why = None
            for lo, hi, affirming in spans:
                judged = sentence
                for a, b in affirming:  # "not dieting", "can't feel": not a negation
                    judged = judged[:a] + "x" * (b - a) + judged[b:]
                why = _current(entry, judged, lo, hi, as_year)
                if why is None:
                    found.append(Mention(flag, field, *words(offset + lo, offset + hi)))
                    in_sentence.add(flag)
                    break
            else:
                if why is not None:
                    lo, hi, _ = spans[0]
                    set_aside.append({"field": field, "phrase": sentence[lo:hi],
                                      "flag": flag, "why": why})
    return maybe


# A list's items: a comma, a slash, a colon, brackets, a dash, "also" / "separately" /
# "as well as" / "plus" between findings ("knees sore on stairs / calf tightens walking,
# better with rest"; "BP tablets, knee brace, and calf pain whenever I walk").
_ITEM = startset.compile(r"[,/:()]| - |(?<![\w])(?:also|separately|plus|as well as|"
                         r"and also|besides)(?![\w])")


_RULED_OUT = startset.compile(r"(?<![\w])(?:not (?:typical of|due to|from|caused by|related to|"
                              r"consistent with|in keeping with)|no relief (?:from|with|on|by)|"
                              r"rather than|unlike)(?:\s+[\w']+){0,2}?\s+$")


# "no fall or twist or anything": a benign cause the writer denies is not the cause
_BENIGN_DENIED = startset.compile(r"(?<![\w])(?:no|not(?: linked| related| due)? to|not|never|"
                                  r"without|n't)(?:\s+[\w']+\s+(?:or|nor))?(?:\s+(?:been|even|"
                                  r"really|any))?\s+$")


# "is it ok to train if my legs ...": the training asked about is not a benign cause
_ASKED_TO = startset.compile(r"(?<![\w])(?:ok|okay|alright|safe|fine|still|allowed) to\s+$")
# "Can I do the spin class? My back pain now goes down both legs": the activity asked
# about is not the cause of what follows ("?" does not end a sentence here)
_ASKED_ACTIVITY = startset.compile(r"(?<![\w])(?:can|could|may|should|shall) (?:i|he|she|we) "
                                   r"(?:still )?(?:do|join|go to|come to|try|book|attend|"
                                   r"carry on with|keep doing|start)(?: (?:the|a|my|his|her|"
                                   r"some|any))?\s+$")
# "both legs tingle like when you've sat cross-legged too long, except it doesn't stop":
# a benign context named in a comparison is what the feeling is like, not its cause
_SIMILE_BEFORE = startset.compile(r"(?<![\w])(?:like (?:when|after|you get (?:when|after)|"
                                  r"i'?ve|you'?ve|i'?d|you'?d|i had|you had)|as if|as though)"
                                  r"(?:\s+[\w']+){0,3}?\s+$")


def _not_the_cause(sentence: str, start: int) -> bool:
    """Whether the benign context at ``start`` is named in a comparison or as an
    activity asked about, not as the cause of the finding."""
    lo = max(0, start - 40)
    return bool(_SIMILE_BEFORE.search(sentence, lo, start)
                or _ASKED_ACTIVITY.search(sentence, lo, start))


def _apart(sentence: str, spans: list[tuple[int, int, tuple[tuple[int, int], ...]]],
           benign: list[compose.Hit]) -> list[tuple[int, int, tuple[tuple[int, int], ...]]]:
    """The combinations whose list item holds none of the rule's ``unless`` terms: a
    benign context names the complaint's own item ("calf pain after leg day"), not
    another finding listed beside it in the same sentence ("knee brace, and calf
    pain whenever I walk, stopping helps")."""
    # "not typical of stenosis", "no relief from sitting or bending forward": a benign
    # context the writer rules out does not excuse the complaint
    benign = [h for h in benign if not _RULED_OUT.search(sentence, max(0, h.start - 40),
                                                         h.start)
              and not _BENIGN_DENIED.search(sentence, max(0, h.start - 30), h.start)
              and not _cause_denied(sentence, h.start, sentence[h.start:h.end])
              and not _ASKED_TO.search(sentence, max(0, h.start - 20), h.start)
              and not _not_the_cause(sentence, h.start)]
    keep = []
    for lo, hi, affirming in spans:
        before = _last(_ITEM, sentence[:lo])
        # "I wanted to lose weight but ... I've dropped 6kg": a "but" ends the benign
        # context told before it (one told after it, "calf pain but just DOMS", still
        # names the complaint's item)
        but = _last(_BUT, sentence[:lo])
        if but is not None and (before is None or but.end() > before.end()):
            before = but
        after = _ITEM.search(sentence, hi)
        a = before.end() if before is not None else 0
        b = after.start() if after is not None else len(sentence)
        if not any(h.end > a and h.start < b for h in benign):
            keep.append((lo, hi, affirming))
    return keep


# (matched at a position, not the start; a part is never a feeling: "strong" too)
_PART_FINE = startset.compile(_FINE_WORDS.format(_FINE + "|strong")[1:])


def _unanswered(comp: compose.Compiled, sentence: str,
                present: dict[int, list[compose.Hit]]) -> dict[int, list[compose.Hit]]:
    """The terms found, less a body part answered straight after it ("fell off the
    ladder, back fine, knee sore": the back is not the pain's part). A word list reads
    "back fine" as negated; a combination picks its terms from the whole sentence."""
    # a term is often in several categories (one Hit in each list): each judged once
    terms = {id(h): h for c, found in present.items() if c not in comp.affirming
             for h in found}
    answered = {key for key, h in terms.items()
                if _PART_LAST.search(sentence, h.start, h.end)
                and (_PART_FINE.match(sentence, h.end) or _PARTS_REPLY.match(sentence, h.end))}
    if not answered:
        return present
    out = present
    for c, found in present.items():
        if c in comp.affirming:
            continue
        keep = [h for h in found if id(h) not in answered]
        if len(keep) != len(found):
            if out is present:
                out = dict(present)
            if keep:
                out[c] = keep
            else:
                del out[c]
    return out


def _across_sentences(lex: Lexicon, masks: list[tuple[int, str, int]], as_year: int,
                      found: list[Mention], field: str, words: Any) -> None:
    """Rules with ``across`` categories: a risk factor stated in one sentence and the
    complaint in another of the same text ("Known osteoporosis. New severe back pain
    since Tuesday."). Each part must be current in its own sentence (the clause rules
    and the ``unless`` terms of both), and the flag not found already."""
    comp = compose.compiled()
    have = {m.flag for m in found}
    anywhere = 0
    for _, _, mask in masks:
        anywhere |= mask
    for ax in comp.across:
        if ax.local_mask & anywhere != ax.local_mask \
                or ax.across_mask & anywhere != ax.across_mask:
            continue  # no sentence may hold the one part or the other: nothing to look for
        todo = [f for f in ax.rule.flags if f not in have]
        if not todo:
            continue
        # masks of the words that may start a term: a cheap first sieve
        here = [(o, s) for o, s, m in masks if m & ax.local_mask == ax.local_mask]
        if not here:
            continue
        for flag in todo:
            entry = lex.by_flag[flag]
            local = _current_spans(entry, ax.local, here, as_year, whole=False)
            if local is None:
                continue
            # a condition told with its past ("osteoporosis on a scan two years ago") is
            # still had: only an injury or an event can be long past
            lasting = all(comp.categories[c] in _LASTING for c in ax.rule.across)
            sources = _across_parts(entry, ax, masks, local[0], as_year, lasting)
            if sources is None:
                continue
            lo = min(local[1], *(s[1] for s in sources))
            hi = max(local[2], *(s[2] for s in sources))
            found.append(Mention(flag, field, *words(lo, hi)))
            have.add(flag)


def _across_parts(entry: Entry, ax: Any, masks: list[tuple[int, str, int]], skip: int,
                  as_year: int, lasting: bool) -> list[tuple[int, int, int]] | None:
    """The current spans of a rule's ``across`` parts outside the sentence ``skip``: all
    in one other sentence or, when there are several, each in a sentence of its own
    within three sentences of it ("Q: when? A: carrying the shopping up the hill. It
    eases a few minutes after I stop.": the effort and the relief each told apart)."""
    there = [(o, s) for o, s, m in masks if m & ax.across_mask == ax.across_mask]
    if there:
        source = _current_spans(entry, ax.local, there, as_year, whole=True,
                                cats=ax.rule.across, skip=skip, lasting=lasting)
        if source is not None:
            return [source]
    if len(ax.rule.across) < 2:
        return None
    at = next(i for i, (o, _, _) in enumerate(masks) if o == skip)
    near = masks[max(0, at - 3):at + 4]
    sources = []
    for c in ax.rule.across:
        these = [(o, s) for o, s, m in near if m & (1 << c)]
        source = _current_spans(entry, ax.local, these, as_year, whole=True, cats=(c,),
                                skip=skip, lasting=lasting) if these else None
        if source is None:
            return None
        sources.append(source)
    return sources


# A benign term denied straight before it ("she hasn't been trying to lose weight") does
# not excuse the part told in its sentence.
_NOT_JUST_BEFORE = re.compile(r"(?:(?<![\w])not|n'?t|(?<![\w])never)(?:\s+(?:been|even|really|"
                              r"actually))?\s+$")


# The combination terms of one sentence, for the across rules: each rule looks at the
# text's sentences again, and a text has few (read only, never changed by a caller).
# _compositional keeps what it found for a sentence here, so the across rules do not
# scan it again (issue 13: a second scan of each sentence of a multi-sentence text).
_TERMS_KEPT: dict[str, dict[int, list[compose.Hit]]] = {}
_TERMS_KEPT_SIZE = 64


def _present(sentence: str) -> dict[int, list[compose.Hit]]:
    found = _TERMS_KEPT.get(sentence)
    if found is None:
        comp = compose.compiled()
        found = _unanswered(comp, sentence, compose.scan(comp, sentence, force=True)[1])
        _keep_present(sentence, found)
    return found


def _keep_present(sentence: str, found: dict[int, list[compose.Hit]]) -> None:
    if len(_TERMS_KEPT) >= _TERMS_KEPT_SIZE:
        _TERMS_KEPT.clear()
    _TERMS_KEPT[sentence] = found


def _current_spans(entry: Entry, rule: compose.Rule, sentences: list[tuple[int, str]],
                   as_year: int, *, whole: bool, cats: tuple[int, ...] = (),
                   skip: int = -1, lasting: bool = False) -> tuple[int, int, int] | None:
    """The first current span (sentence offset, start, end in the text) of ``rule``'s
    combination (or, ``whole``, of a term of each of ``cats``) in ``sentences``."""
    for offset, sentence in sentences:
        if offset == skip or (entry.unless is not None and entry.unless.search(sentence)):
            continue
        present = _present(sentence)
        benign = [h for c in rule.unless for h in present.get(c, ())
                  if not _NOT_JUST_BEFORE.search(sentence, max(0, h.start - 24), h.start)]
        if whole:
            if not all(c in present for c in cats):
                continue
            spans = [(h.start, h.end, ()) for c in cats for h in present[c]]
        elif all(c in present for c in rule.need):
            spans = compose.combinations(rule, present)
        else:
            continue
        if benign:  # a benign word vetoes only the list item it is in (as _apart)
            spans = _apart(sentence, spans, benign)
        for lo, hi, affirming in spans:
            judged = sentence
            for a, b in affirming:
                judged = judged[:a] + "x" * (b - a) + judged[b:]
            if _current(entry, judged, lo, hi, as_year, lasting=lasting) is None:
                return offset, offset + lo, offset + hi
    return None


def _with_multiple_conditions(found: list[Mention], field: str, text: str) -> list[Mention]:
    """PAR-Q+ 10c: two or more conditions named in one text."""
    diseases = lexicon().diseases
    spans = sorted((m.start, m.end) for m in found if m.flag in diseases)
    distinct: list[tuple[int, int]] = []
    for start, end in spans:
        if distinct and start < distinct[-1][1]:
            distinct[-1] = (distinct[-1][0], max(end, distinct[-1][1]))
        else:
            distinct.append((start, end))
    flag = "parq.followups.s10_other.c"
    if len(distinct) >= 2 and all(m.flag != flag for m in found):
        lo, hi = distinct[0][0], distinct[-1][1]
        found.append(Mention(flag, field, text[lo:hi].strip(), lo, hi))
    return found


# ------------------------------------------------------------------ fields scanned


def texts(intake: dict[str, Any], assessment: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Every free-text field of the intake and the assessment: (field path, text)."""
    found = [("intake.notes", intake.get("notes") or "")]
    for i, entry in enumerate(intake.get("pain") or []):
        found.append((f"intake.pain[{i}].region", entry.get("region") or ""))
        found.append((f"intake.pain[{i}].description", entry.get("description") or ""))
    history = intake.get("history") or {}
    for key, fields in (("injuries", ("description", "region")),
                        ("surgeries", ("procedure", "region")),
                        ("physical_therapy", ("region", "guidelines")),
                        ("clinician_guidelines", ("region", "guidelines", "restrictions")),
                        ("written_clearances", ("restrictions",))):
        for i, row in enumerate(history.get(key) or []):
            for name in fields:
                value = row.get(name) if isinstance(row, dict) else None
                if isinstance(value, dict):  # restrictions: their free-text notes
                    name, value = f"{name}.notes", value.get("notes")
                if isinstance(value, str):
                    found.append((f"intake.history.{key}[{i}].{name}", value))
    if assessment:
        found.append(("assessment.notes", assessment.get("notes") or ""))
        for i, entry in enumerate(assessment.get("pain_during") or []):
            found.append((f"assessment.pain_during[{i}].region", entry.get("region") or ""))
    return [(path, text) for path, text in found if text.strip()]


# ------------------------------------------------------------------ answers and rules

_GATE_GENERAL = {"s3_heart": "g1", "s4_blood_pressure": "g1"}


def _implied(flags: set[str]) -> set[str]:
    """A follow-up sub-question implies its gate; a gate its general question."""
    by_flag = lexicon().by_flag
    todo, seen = list(flags), set(flags)
    while todo:
        flag = todo.pop()
        more = list(by_flag[flag].implies) if flag in by_flag else []
        parts = flag.split(".")
        if flag.startswith("parq.followups.") and len(parts) == 4:
            section = parts[2]
            if parts[3] != "gate":
                more.append(f"parq.followups.{section}.gate")
            else:
                more.append(f"parq.general.{_GATE_GENERAL.get(section, 'g4')}")
        for extra in more:
            if extra not in seen:
                seen.add(extra)
                todo.append(extra)
    return seen


def _structured(intake: dict[str, Any], flag: str) -> Any:
    """The structured answer for a flag path (None when not given)."""
    parts = flag.split(".")
    node: Any = intake
    for part in parts:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _key(r: dict[str, Any]) -> str:
    return json.dumps([r["rule"], r["summary"], r["outcome"], r["urgency"], r["target"],
                       r["program_state"], r["facts"]], sort_keys=True, default=str)


FAMILIES = ("red_flags", "parq", "acsm")  # the rule families a mention can answer


def _tick(parts: dict[str, Any], answers: set[str]) -> dict[str, Any]:
    """``parts`` (the intake's red_flags, parq and acsm) with ``answers`` ticked: a
    family an answer touches is a copy; one no answer touches is the intake's own."""
    out = dict(parts)

    def own(family: str) -> dict[str, Any]:
        if out[family] is parts[family]:
            out[family] = plain_copy(parts[family])
        return out[family]  # type: ignore[no-any-return]

    for flag in answers:
        path = flag.split(".")
        if path[0] == "red_flags":
            own("red_flags")[path[1]] = True
        elif path[0] == "acsm" and path[1] == "signs_symptoms":
            acsm = own("acsm")
            acsm["signs_symptoms"] = {**(acsm.get("signs_symptoms") or {}), path[2]: True}
        elif path[0] == "acsm":
            own("acsm")[path[1]] = True
        elif path[0] == "parq" and path[1] in ("general", "delay"):
            parq = own("parq")
            parq[path[1]] = {**(parq.get(path[1]) or {}), path[2]: True}
        elif path[0] == "parq" and path[1] == "followups":
            parq = own("parq")
            followups = parq["followups"] = dict(parq.get("followups") or {})
            followups[path[2]] = {**(followups.get(path[2]) or {}), path[3]: True}
    return out


def _family(family: str, part: dict[str, Any], age_years: int | None,
            cfg: EngineConfig) -> tuple[Collector, str | None]:
    """One family's rules on its own part of the intake (each reads nothing else)."""
    out = Collector()
    intensity = None
    if family == "red_flags":
        red_flags.evaluate(part, age_years, cfg, out, grades=("emergency", "urgent", "routine"))
    elif family == "parq":
        parq_rules.evaluate_delay(part, out)
        parq_rules.evaluate_outcome(part, cfg, out)
    else:
        intensity = acsm_rules.evaluate(part, cfg, out)
    return out, intensity


class Run(NamedTuple):
    reasons: list[dict[str, Any]]
    flags: list[str]
    intensity: str


def _runs(intake: dict[str, Any], answers: set[str], age_years: int | None,
          cfg: EngineConfig) -> tuple[Run, Run]:
    """The red-flag, PAR-Q+ and ACSM rules on ``intake`` as it is and with ``answers``
    ticked, in that order (rule family by rule family, as one Collector would have
    them). A family no answer touches is run once: its reasons (the same objects) and
    flags are in both."""
    parts = {k: intake.get(k) or {} for k in FAMILIES}
    ticked = _tick(parts, answers)
    base, merged = [], []
    for family in FAMILIES:
        ran = _family(family, parts[family], age_years, cfg)
        base.append(ran)
        merged.append(ran if ticked[family] is parts[family]
                      else _family(family, ticked[family], age_years, cfg))

    def joined(runs: list[tuple[Collector, str | None]]) -> Run:
        reasons = [r for out, _ in runs for r in out.reasons]
        flags = list(dict.fromkeys(f for out, _ in runs for f in out.flags))
        return Run(reasons, flags, runs[-1][1])  # type: ignore[arg-type]

    return joined(base), joined(merged)


# Issue 13: what ticked answers add depends on nothing but the three families' parts
# of the intake, the answers, the age and the configuration (no free text): worked out
# once per process for each; every call gets its own copy (memo).
_ANSWERED = Memo()


def _answered(intake: dict[str, Any], answers: set[str], age_years: int | None,
              cfg: EngineConfig) -> tuple[list[dict[str, Any]], list[str], str]:
    """What ``answers`` ticked add to the red-flag, PAR-Q+ and ACSM rules (_runs): the
    reasons of the ticked run that the run as it is does not have (neither the same
    object, a family no answer touches, nor an equal reason), the flags it does not
    have, and the ticked run's intensity."""
    key = key_of([intake.get(k) or {} for k in FAMILIES], sorted(answers), age_years,
                 config=cfg)
    if key is not None:
        kept = _ANSWERED.get(key)
        if kept is not None:
            return kept  # type: ignore[no-any-return]
    base, merged = _runs(intake, answers, age_years, cfg)
    shared = {id(r) for r in base.reasons}  # a family's own run: in base as it is
    known = {_key(r) for r in base.reasons}
    added = ([r for r in merged.reasons if id(r) not in shared and _key(r) not in known],
             [f for f in merged.flags if f not in base.flags], merged.intensity)
    if key is not None:
        _ANSWERED.put(key, added)
    return added


def _covered_pain(intake: dict[str, Any], assessment: dict[str, Any] | None,
                  mention: Mention, text: str) -> str | None:
    """DEC-5: the structured row that already covers this plain-pain mention (None: a
    new pain). Pain rows are matched by pain_cover.covering_row; a current injury or
    (for the assessment's notes) a pain-during row counts the same way."""
    if mention.field.startswith(("intake.pain[", "assessment.pain_during[")):
        return mention.field.split(".")[1].split("]")[0] + "]"
    row = covering_row(intake, text, mention.start, mention.end)
    if row is not None:
        return f"pain[{row}]"
    rows: list[str] = []
    rows += [i.get("region") or i.get("description") or ""
             for i in (intake.get("history") or {}).get("injuries") or [] if i.get("current")]
    if mention.field.startswith("assessment.") and assessment:
        rows += [p.get("region") or "" for p in assessment.get("pain_during") or []]
    if not rows:
        return None
    named = _body_parts(text)
    if not named or any(named & _body_parts(r) for r in rows):
        return "history.injuries" if mention.field.startswith("intake.") else "pain_during"
    return None


_PARTS = {
    "foot": r"foot|feet|toes?|heels?|arch|plantar|achilles",
    "ankle": r"ankles?", "calf": r"calf|calves|shins?", "knee": r"knees?|patell\w*|kneecaps?",
    "thigh": r"thighs?|quads?|hamstrings?|it band", "hip": r"hips?|groin|glutes?|buttocks?",
    "back": r"back|spine|spinal|lumbar|lbp|thoracic|sacr\w*|coccyx|tailbone",
    "neck": r"neck|cervical", "shoulder": r"shoulders?|rotator cuff|scapula\w*|traps?",
    "arm": r"arms?|biceps?|triceps?", "elbow": r"elbows?",
    "wrist": r"wrists?|hands?|fingers?|thumbs?",
    "leg": r"legs?",
}
_PART_RES = {name: startset.compile(rf"(?<![\w])(?:{p})(?![\w])") for name, p in _PARTS.items()}


def _body_parts(text: str) -> set[str]:
    low = _normalise(text)
    return {name for name, pattern in _PART_RES.items() if pattern.search(low)}


def _lower_intensity(a: str, b: str | None) -> str:
    if b is None or b not in INTENSITY_ORDER or a not in INTENSITY_ORDER:
        return a
    return min(a, b, key=INTENSITY_ORDER.index)


def scan(intake: dict[str, Any], assessment: dict[str, Any] | None, cfg: EngineConfig,
         out: Collector, *, age_years: int | None = None, as_of: dt.date | None = None,
         intensity: str | None = None) -> str | None:
    """Read every free-text field; add what the mentions change (never lowering
    anything). Returns the intensity ceiling the mentions call for (or ``intensity``)."""
    if not cfg.scan_free_text:
        return intensity
    mentions: list[Mention] = []
    set_aside: list[dict[str, str]] = []
    sources: dict[str, str] = {}
    as_year = (as_of or dt.date.today()).year
    by_relative = intake.get("notes_written_by") == "relative_or_carer"
    for field, text in texts(intake, assessment):
        # the intake's words are the writer's; a trainer writes the assessment's
        found, aside = _read_seen(text, field, as_year,
                                  by_relative and field.startswith("intake."))
        mentions += found
        set_aside += [dict(row) for row in aside]  # the caller's own rows
        sources[field] = text
    _hold_unread(intake, sources, out)
    if mentions:
        mentions = _gated(intake, mentions, set_aside)
    dismissed = [m for m in mentions
                 if staff_review.is_dismissed_mention(intake, m.field, m.flag, m.words)]
    if dismissed:  # DEC-2: staff dismissed them with a reason; re-screened without them
        mentions = [m for m in mentions if m not in dismissed]
        out.add("SYS-7", {"dismissed_mentions": [
            {"field": m.field, "phrase": m.words, "flag": m.flag} for m in dismissed]},
            "Free text mentions dismissed by staff on review (reason on the intake): "
            "not graded.")
    whose = [] if by_relative else _whose(intake, set_aside, sources, mentions, as_year)
    if whose:
        out.add("SYS-7", {"field": whose[0]["field"], "phrase": whose[0]["phrase"],
                          "maps_to": None, "whose": "relative", "mentions": whose},
                "Free text describes " + "; ".join(dict.fromkeys(
                    f"'{m['phrase']}' ({lexicon().labels.get(m['flag'], m['flag'])})"
                    for m in whose)) + " in a relative, and nothing about the writer: if a "
                "relative wrote the notes for the client, these are the client's (confirm "
                "them, and record who wrote the notes); otherwise dismiss. No change to the "
                "decision until then.")
        out.flag("review:free_text")
    if set_aside:
        out.add("SYS-7", {"negated_mentions": set_aside},
                "Free text names red-flag, ACSM or PAR-Q+ terms only as negated, resolved, "
                "conditional, long past or about someone else: no change to the decision.")
    if not mentions:
        return intensity
    return _apply(intake, assessment, cfg, out, mentions, sources, age_years, intensity)


def _whose(intake: dict[str, Any], set_aside: list[dict[str, str]],
           sources: dict[str, str], mentions: list[Mention],
           as_year: int) -> list[dict[str, str]]:
    """Red flags and ACSM signs set aside as a relative's in intake notes that open with
    the relative and say nothing of the writer ("Dad wakes up in the night gasping ..."):
    the older corpus reads "my dad has ..." as someone else's, and a relative often writes
    for the client without saying so, so staff are asked whose they are (review:free_text;
    confirming makes them the client's). The notes are read again as a relative's for the
    client to find them whole. Not once staff have confirmed or dismissed them."""
    fields = {row["field"] for row in set_aside if row["why"] == "someone_else"
              and row["field"].startswith("intake.")}
    found: dict[tuple[str, str], dict[str, str]] = {}
    for field in sorted(fields):
        norm = _normalise(sources.get(field, ""))
        if not _OPENS_WITH_RELATIVE.match(norm) or _WRITER.search(norm):
            continue
        own = {m.flag for m in mentions if m.field == field}
        theirs, _ = _read_seen(sources[field], field, as_year, True)  # kept, as scan's
        for m in theirs:
            if m.flag in own or m.flag in _NOT_A_FINDING \
                    or not m.flag.startswith(("red_flags.", "acsm.signs_symptoms.")) \
                    or staff_review.is_dismissed_mention(intake, field, m.flag, m.words) \
                    or _structured(intake, m.flag) is True:
                continue
            found.setdefault((field, m.flag), {"field": field, "phrase": m.words,
                                               "flag": m.flag})
    return list(found.values())


# Risk factors, not findings: a relative's are no question for staff.
_NOT_A_FINDING = frozenset(("red_flags.infection_risk_factor", "red_flags.cancer_history"))


def _hold_unread(intake: dict[str, Any], sources: dict[str, str], out: Collector) -> None:
    """DEC-2 / SYS-8: a sentence not in English is not read by the lexicon, so it could
    hide anything: hold the client (no assessment, no training) until staff who read it
    dismiss the flag saying what it says (``inscope_clinical.languages``)."""
    rows = []
    for field, text in sources.items():
        found = languages.unread(text)
        if found and not staff_review.is_dismissed_mention(intake, field, staff_review.UNREAD,
                                                             found[1]):
            rows.append({"field": field, "language": found[0], "phrase": found[1]})
    if not rows:
        return
    out.add("SYS-8", {"unread_text": rows},
            "Free text written in a language the screening does not read: on hold until "
            "a member of staff who reads it has read it (correct the intake if it "
            "describes a symptom).",
            outcome="hold", program_state="hold_pending_unread_text")
    out.flag("review:free_text")


# Issue 13: what read() found in a text, kept for the texts read last. A text is read
# again whenever its document is screened again: the referral worker decides an intake
# at screening and again when the assessment is scored (and after a clinician's
# answer, and on a re-screen), and the intake's words have not changed. read() depends
# on nothing but the text, the field and the year (the lexicon is compiled once per
# process), so the answer kept is the answer read() would give. Kept immutable; scan()
# copies the set-aside rows it hands on.
READ_CACHE_SIZE = 4096


@lru_cache(maxsize=READ_CACHE_SIZE)
def _read_seen(text: str, field: str, as_year: int, by_relative: bool = False
               ) -> tuple[tuple[Mention, ...], tuple[tuple[tuple[str, str], ...], ...]]:
    found, set_aside = _read(text, field, as_year, by_relative)
    return tuple(found), tuple(tuple(row.items()) for row in set_aside)


def forget_texts() -> None:
    """Drop the texts kept by scan() (bench: every text read as if new)."""
    _read_seen.cache_clear()
    _TERMS_KEPT.clear()


def _gated(intake: dict[str, Any], mentions: list[Mention],
           set_aside: list[dict[str, str]]) -> list[Mention]:
    """PARQ-4: a sub-question is asked only when its section's gate is YES. A mention of
    an entry with ``requires`` (PAR-Q+ 5e: "planning a half marathon" says nothing of a
    metabolic condition) counts only when one of those answers is YES in the structured
    form or in another current mention (with what it implies); otherwise it is set aside
    (``section_gate_no``)."""
    by_flag = lexicon().by_flag
    if not any(m.flag in by_flag and by_flag[m.flag].requires for m in mentions):
        return mentions
    said = _implied({m.flag for m in mentions
                     if not (m.flag in by_flag and by_flag[m.flag].requires)})
    kept = []
    for m in mentions:
        needs = by_flag[m.flag].requires if m.flag in by_flag else ()
        if not needs or any(n in said or _structured(intake, n) is True for n in needs):
            kept.append(m)
        else:
            set_aside.append({"field": m.field, "phrase": m.words, "flag": m.flag,
                              "why": "section_gate_no"})
    return kept


def _apply(intake: dict[str, Any], assessment: dict[str, Any] | None, cfg: EngineConfig,
           out: Collector, mentions: list[Mention], sources: dict[str, str],
           age_years: int | None, intensity: str | None) -> str | None:
    labels = lexicon().labels
    # The words of a structured pain, injury or surgery row are that row (DEC-5): they
    # do not add pain or a bone/joint problem again; red flags in them still count.
    mentions = [m for m in mentions
                if not (m.flag in ROW_ITSELF and m.field.startswith(ROW_FIELDS))]
    # A clinician's own written guidelines or restrictions name what the clinician has
    # already assessed (DEC-5, DEC-9): listed for staff review, not graded again.
    by_clinician = [m for m in mentions if m.field.startswith(CLINICIAN_FIELDS)]
    mentions = [m for m in mentions if not m.field.startswith(CLINICIAN_FIELDS)]
    by_clinician = [m for m in by_clinician if not _confirmed(intake, m)]
    if by_clinician:
        _note(out, by_clinician, labels, "written by a clinician, who has assessed it: not "
              "graded again; flagged for staff review")
        out.flag("review:free_text")
    pain = [m for m in mentions if m.flag == PAIN_FLAG]
    mentions = [m for m in mentions if m.flag != PAIN_FLAG]
    fresh = [m for m in mentions if _structured(intake, m.flag) is not True]
    _contradictions(intake, fresh, out)
    answers = _implied({m.flag for m in fresh})
    answers = {a for a in answers if _structured(intake, a) is not True}
    # A PAR-Q+ general answer (G1-G7) taken as YES from the words is treated as DEC-3
    # treats one taken from a contradicting structured answer: staff ask the client the
    # follow-up questions at review (action:complete_parq_followups) and the words act
    # through their own rules (the chest flag, the disease, the pain); it does not put
    # the client on hold for the follow-ups (PARQ-8) on the engine's reading alone, so
    # an urgent finding is never shown as merely "on hold".
    general = sorted(a for a in answers if a.startswith("parq.general."))
    answers -= set(general)
    if general:
        cited = [m for m in fresh if set(general) & _implied({m.flag})]
        out.add("SYS-7", {
            "field": cited[0].field, "phrase": cited[0].words, "maps_to": "DEC-3",
            "flags": general, "taken": {g: True for g in general},
            "mentions": [{"field": m.field, "phrase": m.words, "flag": m.flag}
                         for m in cited],
        }, "Free text answers PAR-Q+ " + ", ".join(g.split(".")[-1].upper() for g in general)
            + " YES (" + "; ".join(dict.fromkeys(f"'{m.words}'" for m in cited)) + "): the "
            "follow-up questions are asked for at review, as for a contradicted NO (DEC-3).")
        out.flag("action:complete_parq_followups")
    if answers:
        new_reasons, new_flags, merged_intensity = _answered(intake, answers, age_years, cfg)
        implied = [(m, _implied({m.flag})) for m in fresh]
        for reason in new_reasons:
            facts_text = repr(reason["facts"])  # (the flags it names are in it as they are)
            cited = [m for m, said in implied if any(a in facts_text for a in said)]
            _add(out, reason, cited or fresh, labels)
        for flag in new_flags:
            out.flag(flag)
        intensity = _lower_intensity(intensity or merged_intensity, merged_intensity)
    noted = [m for m in mentions if m not in fresh]
    covered: list[dict[str, str]] = []
    for m in pain:
        row = _covered_pain(intake, assessment, m, sources.get(m.field, ""))
        if row is not None:
            covered.append({"field": m.field, "phrase": m.words, "maps_to": "RF-4",
                            "covered_by": row})
            continue
        out.add("SYS-7", {"field": m.field, "phrase": m.words, "maps_to": "RF-4",
                          "maps_to_source": "SYS", "flags": [PAIN_FLAG]},
                f"Free text mentions '{m.words}' (current pain): {refer_pt(cfg)}, "
                "routine (RF-4), and flag the record for staff review.",
                **pt_referral(cfg))
        out.leave_out(m.field, sources.get(m.field, m.words), None)  # DEC-6
        if not _confirmed(intake, m):  # confirmed on review: the referral stays
            out.flag("review:free_text")
    if fresh:
        out.flag("review:free_text")
        cited_flags = {f for r in out.reasons if r["rule"] == "SYS-7"
                       for f in (r["facts"].get("flags") or [])}
        unchanged = [m for m in fresh if m.flag not in cited_flags]
        if unchanged:
            _note(out, unchanged, labels, "no change to the decision on its own; "
                  "flagged for staff review")
    if covered:
        out.add("DEC-5", {"covered_mentions": covered}, "Free text mentions pain that a "
                "structured pain entry already records: no second referral.")
    if noted:
        _note(out, noted, labels, "already answered in the structured form", answered=True)
    return intensity


def _add(out: Collector, reason: dict[str, Any], cited: list[Mention],
         labels: dict[str, str]) -> None:
    first = cited[0]
    words = "; ".join(dict.fromkeys(f"'{m.words}' ({labels.get(m.flag, m.flag)})"
                                    for m in cited))
    out.add("SYS-7", {
        "field": first.field, "phrase": first.words, "maps_to": reason["rule"],
        "maps_to_source": reason["source"], "flags": sorted({m.flag for m in cited}),
        "mentions": [{"field": m.field, "phrase": m.words, "flag": m.flag} for m in cited],
        "rule_facts": reason["facts"],
    }, f"Free text reads as a structured answer: {words}. Graded as if it were ticked "
       f"({reason['rule']}): {reason['summary']}", outcome=reason["outcome"],
        urgency=reason["urgency"], target=reason["target"],
        program_state=reason["program_state"])


def _confirmed(intake: dict[str, Any], m: Mention) -> bool:
    return staff_review.is_confirmed_mention(intake, m.field, m.flag, m.words)


def _note(out: Collector, mentions: list[Mention], labels: dict[str, str], why: str,
          answered: bool = False) -> None:
    facts: dict[str, Any] = {
        "field": mentions[0].field, "phrase": mentions[0].words, "maps_to": None,
        "flags": sorted({m.flag for m in mentions}),
        "mentions": [{"field": m.field, "phrase": m.words, "flag": m.flag} for m in mentions],
    }
    if answered:
        facts["answered"] = True  # nothing for staff to confirm or dismiss
    out.add("SYS-7", facts, "Free text mentions " + "; ".join(
        dict.fromkeys(f"'{m.words}' ({labels.get(m.flag, m.flag)})" for m in mentions))
        + f": {why}.")


@lru_cache(maxsize=4096)
def _answer_paths(flag: str, peers: tuple[str, ...]) -> tuple[str, ...]:
    """The structured answers a mention of ``flag`` (with its lexicon peers) speaks
    to, in order; not the red flags and PAR-Q+ delay items (unticked boxes, not
    answers: absence is not a NO)."""
    return tuple(path for path in sorted({flag, *peers})
                 if not path.startswith(("red_flags.", "parq.delay.")))


def _contradictions(intake: dict[str, Any], mentions: list[Mention], out: Collector) -> None:
    """DEC-3 (free-text half): a structured NO beside words that describe the very thing.
    The words win (they act through the rules above); both sides are listed in the same
    shape as the structured contradictions (contradictions.py)."""
    by_flag = lexicon().by_flag
    found: dict[str, dict[str, Any]] = {}
    for m in mentions:
        entry = by_flag.get(m.flag)
        for path in _answer_paths(m.flag, entry.peers if entry else ()):
            if _structured(intake, path) is False:
                row = found.setdefault(path, {"answer": path, "answered": False, "against": [],
                                              "taken": True, "rule": "DEC-3"})
                row["against"].append({"field": m.field, "words": m.words, "flag": m.flag})
    if found:
        rows = list(found.values())
        for row in rows:  # DEC-3: a dismissal keeps the more serious answer
            if staff_review.is_dismissed_contradiction(intake, row["answer"]):
                row["dismissed"] = True
        out.add("DEC-3", {"contradictions": rows},
                "Structured answers say NO where the client's own words describe the very "
                "thing: the words are taken (the more serious answer) and both sides are "
                "listed for staff review.")
        if any(not row.get("dismissed") for row in rows):
            out.flag("review:contradiction")
        if any(path.startswith("parq.general.") for path in found):
            out.flag("action:complete_parq_followups")
