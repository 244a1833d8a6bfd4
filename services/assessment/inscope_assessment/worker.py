"""Celery entry point: ``celery -A inscope_assessment.worker worker -Q inscope.assessment``."""

from inscope_assessment import create_app

flask_app = create_app(role="worker")
celery_app = flask_app.extensions["celery"]
