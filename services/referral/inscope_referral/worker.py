"""Celery entry point: ``celery -A inscope_referral.worker worker -Q inscope.referral``."""

import sys

from inscope_clinical import free_text
from inscope_referral import create_app

# `celery -A inscope_referral.worker beat` loads this module too; beat needs no secret.
ROLE = "beat" if "beat" in sys.argv[1:] else "worker"
flask_app = create_app(role=ROLE)
celery_app = flask_app.extensions["celery"]

if ROLE == "worker":
    # The worker screens every intake: compile the free-text lexicon (about 3 s of one
    # core) before it takes its first event, so no client's screening waits for it.
    free_text.lexicon()
