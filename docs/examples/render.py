"""Re-render the samples in this folder from the README's example client.

    .venv/bin/python docs/examples/render.py

The decision is the engine's own for examples/intake.json with
examples/assessment-pain.json (and assessment-clear.json for the in-scope email); the
answer link is a placeholder. Needs `pdftoppm` (poppler-utils) for the PNG.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

from inscope_clinical import screen
from inscope_clinical.letters.request import build_request
from inscope_notify.config import load_notify_settings, load_settings
from inscope_notify.mail import render
from inscope_notify.messages import plan_decision
from inscope_notify.pdf import render_pdf
from inscope_notify.service import guard

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TODAY = dt.date(2026, 11, 27)


def load(name: str) -> dict:
    return json.loads((REPO / "examples" / name).read_text())


def planned(assessment: str, **consent: bool) -> list:
    body = load("intake.json")
    decision = screen({**body, "assessment": load(assessment)}, as_of=TODAY)
    decision.update(
        intake_id="intake-1", client_id="client-1", decision_id="decision-1", stage="assessment"
    )
    if decision["outcome"] in ("refer", "clearance"):
        decision["referral"] = {
            "referral_id": "referral-1",
            "answer_url": "https://inscope-studio.example/referrals/answer/<signed-token>",
            "status": "needed",
            "target": decision["target"],
            "urgency": decision["urgency"],
            # As inscope_clinical.letters.request.build_request makes it.
            "request": build_request(decision),
        }
    contact = {
        "client": body["client"],
        "physician": body["intake"]["physician"],
        "consent": {**body["intake"]["consent"], **consent},
    }
    setup = load_notify_settings(load_settings({}), {}).setup
    return plan_decision(decision, contact, setup, TODAY)


def write(name: str, email) -> None:
    rendered = render(email.template, email.context)
    assert guard(rendered, email) == [], name
    (HERE / f"{name}.txt").write_text(f"Subject: {rendered.subject}\n\n{rendered.text}")


def main() -> None:
    client, letter = planned("assessment-pain.json")
    write("client-email-referral", client)
    write("physician-letter-email", letter)
    (HERE / "referral-letter.pdf").write_bytes(render_pdf(letter.letter))
    withheld, _ = planned("assessment-pain.json", share_with_physician=False)
    write("client-email-consent-withheld", withheld)
    [in_scope] = planned("assessment-clear.json")
    write("client-email-in-scope", in_scope)
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "110",
                "-singlefile",
                "-f",
                "1",
                "-l",
                "1",
                str(HERE / "referral-letter.pdf"),
                str(HERE / "referral-letter-page1"),
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
