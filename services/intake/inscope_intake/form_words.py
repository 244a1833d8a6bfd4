"""The intake form's errors in its own words (issue 15 item 3).

Pure (no Flask): the schema's messages ("Missing data for required field.", "Must be
greater than or equal to 0 and less than or equal to 10.") become what the form says
("Pain area 1: pain with activity must be 0–10."), and each error gets an anchor that
exists on the rendered form (a field, its row, its section), so every link in the error
summary lands on its question.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass


def N_(text: str) -> str:  # noqa: N802 - gettext's marker
    """Marks the words below for the intake's client catalog; ``problems`` translates
    them with the page's gettext (the client's Spanish page gets Spanish sentences)."""
    return text


# Repeating rows: the words a row goes by on the form ("Pain area 1").
ROW_NAMES = {
    "intake.pain": N_("Pain area"),
    "intake.history.surgeries": N_("Surgery"),
    "intake.history.injuries": N_("Injury"),
    "intake.history.physical_therapy": N_("Physical therapy"),
    "intake.history.clinician_guidelines": N_("Written guidelines"),
    "intake.history.written_clearances": N_("Written clearance"),
}
_ROW = re.compile(r"^(?P<prefix>" + "|".join(re.escape(p) for p in ROW_NAMES) + r")\.(?P<i>\d+)")

# Marshmallow's sentences, as the end of a sentence that starts with the question.
_PLAIN: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Missing data for required field\.?$"), N_("is required")),
    (re.compile(r"^Field may not be null\.?$"), N_("is required")),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     N_("must be {0}–{1}")),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), N_("must be {0} or more")),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), N_("must be {0} or less")),
    (re.compile(r"^Not a valid integer\.$"), N_("must be a whole number")),
    (re.compile(r"^Not a valid number\.$"), N_("must be a number")),
    (re.compile(r"^Not a valid date\.$"), N_("must be a date (year-month-day)")),
    (re.compile(r"^Not a valid email address\.$"),
     N_("must be an email address (name@example.com)")),
    (re.compile(r"^Must be one of: .*$"), N_("must be one of the choices offered")),
    (re.compile(r"^Not a valid boolean\.$"), N_("needs Yes or No")),
    (re.compile(r"^Shorter than minimum length 1\.$"), N_("is required")),
    (re.compile(r"^Length must be between 1 and (\d+)\.$"), N_("must be 1 to {0} characters")),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), N_("must be {0} characters at most")),
    (re.compile(r"^Unknown field\.$"), N_("is not a question of this form")),
]


# The dates' own labels (inscope_clinical.dates) as they open its sentences.
_DATE_LABELS = {
    "PAR-Q+ completed on": N_("PAR-Q+ completed on"),
    "Surgery date": N_("Surgery date"),
    "Injury date": N_("Injury date"),
    "Discharge date": N_("Discharge date"),
}
_DATE_LABEL = "(" + "|".join(re.escape(label) for label in _DATE_LABELS) + ")"

# Sentences the service writes in people's words (inscope_clinical.dates, the signature
# in intake_form): matched whole so a page in another language says them in its own.
_WORDED: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Date of birth (\S+) is in the future\.$"),
     N_("Date of birth {0} is in the future.")),
    (re.compile(r"^Date of birth (\S+) gives an age of (\d+); clients must be (\d+) to "
                r"(\d+) years old\. Check the year\.$"),
     N_("Date of birth {0} gives an age of {1}; clients must be {2} to {3} years old. "
        "Check the year.")),
    (re.compile(rf"^{_DATE_LABEL} (\S+) is in the future\.$"), N_("{0} {1} is in the future.")),
    (re.compile(rf"^{_DATE_LABEL} (\S+) is before the date of birth \((\S+)\)\.$"),
     N_("{0} {1} is before the date of birth ({2}).")),
    (re.compile(r"^Consent signed at (\S+) is in the future\.$"),
     N_("Consent signed at {0} is in the future.")),
    (re.compile(r"^Consent signed at (\S+) is before the date of birth\.$"),
     N_("Consent signed at {0} is before the date of birth.")),
    (re.compile(r"^The drawn signature could not be read; draw it again\.$"),
     N_("The drawn signature could not be read; draw it again.")),
    (re.compile(r"^Type the signature on one line \(200 characters\)\.$"),
     N_("Type the signature on one line (200 characters).")),
    (re.compile(r"^Type or draw the client's signature\.$"),
     N_("Type or draw the client's signature.")),
]


def worded(message: str, gettext: Callable[[str], str] = str) -> str:
    """One of the service's own sentences in the page's language (a date label in it
    too); any other message as it is."""
    for pattern, sentence in _WORDED:
        found = pattern.match(message)
        if found:
            parts = [gettext(_DATE_LABELS[g]) if g in _DATE_LABELS else g for g in found.groups()]
            return gettext(sentence).format(*parts)
    return message


@dataclass(frozen=True)
class Problem:
    """One error as the form shows it: where it sits and what it says."""

    name: str  # the form field (or row, or section) it belongs to
    anchor: str  # an id on the rendered form
    message: str  # next to the field: "Must be 0–10."
    summary: str  # in the summary: "Pain area 1: pain with activity must be 0–10."


def fid(name: str) -> str:
    """The element id of a form field (macros.html ``fid``)."""
    return "f-" + name.replace(".", "-")


def labels_on(page: str) -> dict[str, str]:
    """Every labelled element of a rendered form: id -> its words (the macros write
    ``id="…" data-label="…"`` on each field, yes/no question, row and section)."""
    found = {}
    for hit in re.finditer(r'\bid="([^"]+)" data-label="([^"]*)"( data-answer="yesno")?', page):
        found[hit.group(1)] = html.unescape(hit.group(2))
        if hit.group(3):
            found[hit.group(1) + YES_NO] = ""
    return found


YES_NO = "#yesno"  # labels_on marks a yes/no question's id with this key beside it


def _clean_label(label: str) -> str:
    label = re.sub(r"\s*\((?:required|0–10)\)", "", label).strip().rstrip("?").rstrip(":")
    label = re.sub(r"^[A-Za-z]?\d*\.\s+", "", label)  # "G1. Has your doctor…" -> "Has…"
    return label


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def plain(message: str, yes_no: bool = False) -> str:
    """The end of the sentence for one schema message ("is required", "must be 0–10");
    a message already written for people is kept as it is."""
    for pattern, words in _PLAIN:
        found = pattern.match(message.strip())
        if found:
            if yes_no and words == "is required":
                return "needs Yes or No"
            return words.format(*found.groups())
    return ""


def problems(errors: Mapping[str, Iterable[str]], labels: Mapping[str, str],
             gettext: Callable[[str], str] = str) -> list[Problem]:
    """Each error with an anchor that exists on the page and its words, in the page's
    language (``gettext``; the service's own sentences, dates and signature, through
    ``worded``)."""
    _ = gettext
    out = []
    for name, messages in errors.items():
        anchor, label = _nearest(name, labels)
        yes_no = anchor + YES_NO in labels
        row = _ROW.match(name)
        context = ""
        row_name = _(ROW_NAMES[row.group("prefix")]) if row else ""
        if row and not label.startswith(row_name):
            context = _("%(row)s %(number)s: ") % {
                "row": row_name, "number": int(row.group("i")) + 1}
        parts, inline = [], []
        for message in messages:
            words = plain(str(message), yes_no)
            if words and yes_no and words == "needs Yes or No":
                question = label.strip()
                question = question if question.endswith("?") else question + "?"
                parts.append(f"{context}{question} {_('Answer Yes or No.')}")
                inline.append(_("Answer Yes or No."))
            elif words:
                subject = _lower_first(_clean_label(label)) if context else _clean_label(label)
                if anchor == "intake-form" and words == "is not a question of this form":
                    subject = f"“{name}”"  # (an unknown field has no label: its own name)
                said = _translated_ending(str(message), words, _)
                parts.append(context + _("%(question)s %(problem)s.") % {
                    "question": subject, "problem": said})
                inline.append(_("This is required.") if words == "is required"
                              else said[0].upper() + said[1:] + ".")
            else:  # already in people's words (dates, signature, consent...)
                text = worded(str(message).strip(), _)
                text = text if text.endswith(".") else text + "."
                lead = f"{context}{_clean_label(label)}: " if label and not _says(text, label) \
                    else context
                parts.append(lead + text)
                inline.append(text)
        out.append(Problem(name, anchor, " ".join(inline), " ".join(parts)))
    order = {anchor: index for index, anchor in enumerate(labels)}
    return sorted(out, key=lambda p: order.get(p.anchor, -1))  # as the form asks them


def _translated_ending(message: str, words: str, _: Callable[[str], str]) -> str:
    """``plain``'s ending in the page's language: the marked words, filled in again."""
    for pattern, ending in _PLAIN:
        found = pattern.match(message.strip())
        if found and ending.format(*found.groups()) == words:
            return _(ending).format(*found.groups())
    return words


def _says(text: str, label: str) -> bool:
    """Whether a message already names its question (dates do: "Date of birth …")."""
    return text.lower().startswith(_clean_label(label).lower()[:12])


def _nearest(name: str, labels: Mapping[str, str]) -> tuple[str, str]:
    """The field itself, else the nearest row or section on the page that holds it."""
    parts = name.split(".")
    while parts:
        anchor = fid(".".join(parts))
        if anchor in labels:
            return anchor, labels[anchor]
        parts.pop()
    return "intake-form", "The form"


def age_on(date_of_birth: str, today: dt.date) -> int | None:
    """Whole years on ``today`` for an ISO date of birth, None when it is not a date."""
    try:
        born = dt.date.fromisoformat(date_of_birth.strip())
    except (ValueError, AttributeError):
        return None
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return years
