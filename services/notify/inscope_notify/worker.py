"""Celery entry point: ``celery -A inscope_notify.worker worker -Q inscope.notify``."""

from typing import Any

from celery.signals import worker_process_shutdown

from inscope_notify import create_app

flask_app = create_app(role="worker")
celery_app = flask_app.extensions["celery"]


@worker_process_shutdown.connect
def _quit_smtp(**_: Any) -> None:
    """Say QUIT on the pool process's SMTP connection rather than drop it."""
    close = getattr(flask_app.extensions["notifier"].sender, "close", None)
    if close is not None:
        close()
