"""The Celery app factory, after Flask's Celery example (``celery_init_app``) with the
settings the Celery docs give for at-least-once delivery on a Redis broker."""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask

from inscope_common.broker import TRANSPORT
from inscope_common.config import ServiceSettings


def celery_settings(settings: ServiceSettings) -> dict[str, Any]:
    redis_broker = settings.redis_url.split("://", 1)[0] in ("redis", "rediss")
    return {
        "broker_url": settings.redis_url,
        # kombu's Redis transport keeping one redis-py client per channel (issue 13).
        **({"broker_transport": TRANSPORT} if redis_broker else {}),
        # Events are facts, not results: nobody waits on a task's return value.
        "task_ignore_result": True,
        "result_backend": None,
        "task_serializer": "json",
        "accept_content": ["json"],
        # Ack after the task ran, and requeue it if the worker process dies mid-task.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": settings.queue,
        "task_create_missing_queues": True,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": settings.publish_timeout_s,
        "broker_transport_options": {
            "visibility_timeout": settings.visibility_timeout_s,
            # Look for messages past their visibility timeout every 10 s (kombu's
            # default scans every tenth round only, 100 s), so a message held by a
            # dead worker is redelivered within the timeout plus 10 s.
            "unacked_restore_interval": 10,
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": settings.publish_timeout_s,
            "socket_timeout": max(settings.publish_timeout_s, 5.0),
        },
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
        "worker_cancel_long_running_tasks_on_connection_loss": False,
    }


def celery_init_app(app: Flask, settings: ServiceSettings) -> Celery:
    """Attach a Celery app to a Flask app; every task runs inside the app context."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    app.config["CELERY"] = celery_settings(settings)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
