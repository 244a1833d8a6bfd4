"""InScope notify service: the client's emails, the physician's referral letter (with a
PDF), reminders, progress reports, and the answer relayed to client and trainer."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from inscope_common import stuck_work
from inscope_common.auth import document_staff_auth, install_auth
from inscope_common.client_rights import install_client_records
from inscope_common.consumer import EventConsumer, register_consumer
from inscope_common.http import METRICS_READERS, init_platform_http
from inscope_common.openapi import make_api
from inscope_common.retention import retention_sweep
from inscope_common.runtime import build_runtime
from inscope_common.web import init_shared_web


def create_app(
    env: Mapping[str, str] | None = None, sender: object | None = None, role: str = "web"
) -> Flask:
    from inscope_common.config import enforce_secrets
    from inscope_notify import api, client_records
    from inscope_notify.accepts import AcceptMarks
    from inscope_notify.client_records import delivery_bodies_rule
    from inscope_notify.config import load_notify_settings, load_settings
    from inscope_notify.deployment import CONTRACT
    from inscope_notify.mail import SMTPConfig, SMTPSender
    from inscope_notify.metrics import deliveries
    from inscope_notify.models import AuditEntry, Base, platform
    from inscope_notify.service import Notifier

    settings = load_settings(env)
    # Fail closed: the secrets this role needs must be real ones (INSCOPE_ENV).
    enforce_secrets(settings, CONTRACT.secrets(role))
    app = Flask("inscope_notify")
    # The admin pages in the facility's language (staff catalog; docs/languages.md).
    init_shared_web(app, settings.language, str(Path(__file__).parent / "translations"))
    rt = build_runtime(app, settings, Base, platform)
    app.extensions["inscope_audit"] = AuditEntry  # the audit log (inscope_common.audit)
    notifier = Notifier(
        settings,
        load_notify_settings(settings, env),
        rt.session_factory,
        sender or SMTPSender(SMTPConfig.from_url(settings.smtp_url)),
        rt.relay,
        AcceptMarks.from_url(settings.redis_url),
    )
    app.extensions["notifier"] = notifier
    # The relay process also sends the emails due for another attempt, and takes back
    # deliveries a dead worker left in `sending` (Notifier.retry_due).
    rt.relay.sweeps.append(notifier.retry_due)
    # ... and clears the event kept per delivery once its email is done with
    # (INSCOPE_RETENTION_DELIVERY_BODIES_DAYS; pending and failed rows keep it to retry).
    rt.relay.sweeps.append(retention_sweep(rt.session_factory, [delivery_bodies_rule(settings)]))
    stuck_work.register(
        app, "delivery_sending", notifier.stuck, lambda _rt, ref: notifier.take_back(ref)
    )
    stuck_work.register(
        app, "delivery_failed", lambda _rt: [], lambda _rt, ref: notifier.resend(ref)
    )
    app.extensions[METRICS_READERS] = [deliveries]
    # Export and erasure of one client's data (inscope_common.client_rights).
    handlers = install_client_records(app, client_records.RECORDS, AuditEntry, notifier.handlers())
    register_consumer(
        rt.celery_app, EventConsumer(settings, rt.session_factory, platform, handlers, rt.relay)
    )
    smorest = make_api(app, "InScope notify")
    document_staff_auth(smorest)
    smorest.register_blueprint(api.blp)
    init_platform_http(app, smorest, settings, rt.session_factory)
    install_auth(app, settings)
    return app
