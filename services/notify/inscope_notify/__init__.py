"""InScope notify service: emails the client and the physician about each decision."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from inscope_common.consumer import EventConsumer, register_consumer
from inscope_common.http import init_platform_http
from inscope_common.openapi import make_api
from inscope_common.runtime import build_runtime


def create_app(env: Mapping[str, str] | None = None, sender: object | None = None) -> Flask:
    from inscope_notify import api
    from inscope_notify.config import load_settings
    from inscope_notify.mail import SMTPConfig, SMTPSender
    from inscope_notify.models import Base, platform
    from inscope_notify.service import Notifier

    settings = load_settings(env)
    app = Flask("inscope_notify")
    rt = build_runtime(app, settings, Base, platform)
    notifier = Notifier(
        settings, rt.session_factory, sender or SMTPSender(SMTPConfig.from_url(settings.smtp_url))
    )
    app.extensions["notifier"] = notifier
    handlers = {"referral.decided.v1": notifier.on_referral_decided}
    register_consumer(
        rt.celery_app, EventConsumer(settings, rt.session_factory, platform, handlers, rt.relay)
    )
    smorest = make_api(app, "InScope notify")
    smorest.register_blueprint(api.blp)
    init_platform_http(app, smorest, settings, rt.session_factory)
    return app
