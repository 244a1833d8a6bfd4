"""Celery entry point: ``celery -A inscope_referral.worker worker -Q inscope.referral``."""

import sys

from inscope_referral import create_app

# `celery -A inscope_referral.worker beat` loads this module too; beat needs no secret.
flask_app = create_app(role="beat" if "beat" in sys.argv[1:] else "worker")
celery_app = flask_app.extensions["celery"]
