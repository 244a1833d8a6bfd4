"""Celery entry point: ``celery -A inscope_referral.worker worker -Q inscope.referral``."""

from inscope_referral import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
