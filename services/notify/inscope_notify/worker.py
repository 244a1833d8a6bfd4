"""Celery entry point: ``celery -A inscope_notify.worker worker -Q inscope.notify``."""

from inscope_notify import create_app

flask_app = create_app(role="worker")
celery_app = flask_app.extensions["celery"]
