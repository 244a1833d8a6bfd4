"""Celery task messages written straight to the Redis broker (issue 13).

The fast path publishes each committed event to its subscribers' ``consume_event``
tasks. Through Celery's ``send_task`` and kombu, one event cost about 0.8 ms of CPU
before Redis saw it: routing, signals, a queue declaration check that copies the queue
for every send, and a new redis-py client (its ~170 response callbacks) for every
kombu publish batch; then one more round trip for the delivery ledger's marks. Here
the message is the one Celery and kombu would write (Celery's own
``amqp.create_task_message`` makes headers and body; kombu's JSON, base64 body
encoding and message layout for its Redis transport follow), the body is serialized
once per event for all its subscribers, and the ledger's marks and every message of a
commit go to Redis as one pipeline (marks first: a pushed message is always marked).

``tests/platform/test_task_messages.py`` compares these messages with what
``send_task`` puts in Redis for the same task, field by field.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu.serialization import dumps as serialize
from kombu.transport.virtual.base import Base64
from kombu.utils.json import dumps as json_dumps
from kombu.utils.uuid import uuid

_BASE64 = Base64()
# kombu's default: persistent (the Redis transport stores it; AMQP would write to disk).
PERSISTENT = 2


def message_body(args: list[Any]) -> tuple[str, str, str]:
    """(content type, encoding, body as kombu's Redis transport stores it: the JSON of
    Celery protocol 2's ``(args, kwargs, embed)``, base64-encoded), the same for every
    subscriber of an event."""
    content_type, encoding, body = serialize(
        (args, {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}),
        serializer="json",
    )
    return content_type, encoding, _BASE64.encode(body)


def task_message(
    celery_app: Celery,
    task_name: str,
    queue: str,
    task_id: str,
    args: list[Any],
    body: tuple[str, str, str],
    *,
    argsrepr: str,
    kwargsrepr: str,
    retries: int = 0,
) -> str:
    """The JSON kombu's Redis transport LPUSHes onto ``queue`` for
    ``celery_app.send_task(task_name, args=args, queue=queue, task_id=task_id,
    retries=retries, argsrepr=..., kwargsrepr=...)`` (a direct exchange, so the queue's
    name is the routing key and the list's key), ``body`` from :func:`message_body`."""
    # As send_task: a task of this app carries its own ignore_result; inside a worker's
    # task, the message is that task's child.
    task = celery_app._tasks.get(task_name)
    ignore_result = getattr(task, "ignore_result", None) if task is not None else None
    root_id = parent_id = None
    parent = celery_app.current_worker_task
    if parent:
        root_id = parent.request.root_id or parent.request.id
        parent_id = parent.request.id
    headers, properties, _body, _sent = celery_app.amqp.create_task_message(
        task_id,
        task_name,
        args,
        {},
        retries=retries,
        reply_to=celery_app.thread_oid,
        root_id=root_id,
        parent_id=parent_id,
        ignore_result=ignore_result,
        argsrepr=argsrepr,
        kwargsrepr=kwargsrepr,
    )
    content_type, encoding, encoded = body
    # send_task leaves the options the router does not use (the reprs) in the
    # properties too.
    properties.update(
        argsrepr=argsrepr,
        kwargsrepr=kwargsrepr,
        delivery_mode=PERSISTENT,
        delivery_info={"exchange": "", "routing_key": queue},
        priority=0,
        body_encoding="base64",
        delivery_tag=uuid(),
    )
    return json_dumps(
        {
            "body": encoded,
            "content-encoding": encoding,
            "content-type": content_type,
            "headers": headers,
            "properties": properties,
        }
    )
