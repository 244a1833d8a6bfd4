"""InScope assessment service: trainers record assessments, scored in the same request."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from inscope_common.auth import document_staff_auth, install_auth
from inscope_common.client_rights import install_client_records
from inscope_common.consumer import EventConsumer, register_consumer
from inscope_common.http import init_platform_http
from inscope_common.idempotency import expiry_sweep
from inscope_common.openapi import make_api
from inscope_common.runtime import build_runtime
from inscope_common.web import init_shared_web


def create_app(env: Mapping[str, str] | None = None, role: str = "web") -> Flask:
    from inscope_assessment import api, client_records, pages, service
    from inscope_assessment.config import load_settings
    from inscope_assessment.deployment import CONTRACT
    from inscope_assessment.models import AuditEntry, Base, IdempotencyKey, platform
    from inscope_common.config import enforce_secrets

    settings = load_settings(env)
    # Fail closed: the secrets this role needs must be real ones (INSCOPE_ENV).
    enforce_secrets(settings, CONTRACT.secrets(role))
    app = Flask("inscope_assessment")
    # The trainer's pages in the facility's language (staff catalog; docs/languages.md).
    init_shared_web(app, settings.language, str(Path(__file__).parent / "translations"))
    rt = build_runtime(app, settings, Base, platform)
    app.extensions["inscope_audit"] = AuditEntry  # the audit log (inscope_common.audit)
    # The relay process sweeps idempotency keys past their retention.
    rt.relay.sweeps.append(
        expiry_sweep(rt.session_factory, IdempotencyKey, settings.idempotency_retention_s)
    )
    # Export and erasure of one client's data (inscope_common.client_rights).
    handlers = install_client_records(app, client_records.RECORDS, AuditEntry, service.HANDLERS)
    consumer = EventConsumer(
        settings, rt.session_factory, platform, handlers, rt.relay, check_in_transaction=True
    )
    register_consumer(rt.celery_app, consumer)
    smorest = make_api(app, "InScope assessment")
    document_staff_auth(smorest)
    smorest.register_blueprint(api.blp)
    app.register_blueprint(pages.bp)
    init_platform_http(app, smorest, settings, rt.session_factory)
    install_auth(app, settings)
    return app
