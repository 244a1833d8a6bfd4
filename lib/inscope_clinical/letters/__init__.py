"""The clinician letter's one home (REF-1): its sections, the findings' wording and the
request, pure (no web, queue or database code; see the import-linter contract).

notify renders it as email text, HTML and PDF; the referral service's answer page
renders the very same :class:`~inscope_clinical.letters.letter.Letter`, so the physician
reads the same sentences everywhere.

- ``vocabulary``: words for the engine's fact keys.
- ``findings``: each fact phrased for the clinician and for the client.
- ``request``: what the referral asks (stored on the referral, worded by the letter).
- ``letter``: the letter and the progress report as blocks of text.
"""

from inscope_clinical.letters.findings import Finding, behind_outcome, findings_of
from inscope_clinical.letters.letter import (
    Block,
    Letter,
    Sender,
    progress_letter,
    referral_letter,
    sender_from,
    signed_sender,
)
from inscope_clinical.letters.request import build_request, equivalence_key

__all__ = [
    "Block",
    "Finding",
    "Letter",
    "Sender",
    "behind_outcome",
    "build_request",
    "equivalence_key",
    "findings_of",
    "progress_letter",
    "referral_letter",
    "sender_from",
    "signed_sender",
]
