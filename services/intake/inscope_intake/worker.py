"""Celery entry point: ``celery -A inscope_intake.worker worker -Q inscope.intake``.

The intake service consumes ``referral.status_changed``: the front desk's confirmation
page follows the screening from the intake's own table."""

from inscope_intake import create_app

flask_app = create_app(role="worker")
celery_app = flask_app.extensions["celery"]
