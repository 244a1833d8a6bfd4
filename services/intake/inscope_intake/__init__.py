"""InScope intake service: the front desk submits a client's intake here."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from inscope_common.auth import document_staff_auth, install_auth
from inscope_common.client_rights import install_client_records
from inscope_common.consumer import EventConsumer, register_consumer
from inscope_common.http import ERROR_WORDS, init_platform_http
from inscope_common.idempotency import expiry_sweep
from inscope_common.openapi import make_api
from inscope_common.runtime import build_runtime
from inscope_common.web import init_shared_web


def create_app(env: Mapping[str, str] | None = None, role: str = "web") -> Flask:
    from inscope_common.config import enforce_secrets
    from inscope_intake import api, client_records, pages, previsit_pages, service
    from inscope_intake.config import load_settings
    from inscope_intake.deployment import CONTRACT
    from inscope_intake.models import AuditEntry, Base, IdempotencyKey, platform

    settings = load_settings(env)
    # Fail closed: the secrets this role needs must be real ones (INSCOPE_ENV).
    enforce_secrets(settings, CONTRACT.secrets(role))
    app = Flask("inscope_intake")
    # The page text's catalogs: inscope_intake/translations (`make messages`): what
    # clients read (messages) and the staff pages (staff).
    init_shared_web(app, settings.language, str(Path(__file__).parent / "translations"),
                    ("messages", "staff"))
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
    smorest = make_api(app, "InScope intake")
    document_staff_auth(smorest)
    smorest.register_blueprint(api.blp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(previsit_pages.bp)
    app.extensions[ERROR_WORDS] = pages.api_problems
    init_platform_http(app, smorest, settings, rt.session_factory)
    install_auth(app, settings)
    return app
