"""InScope referral service: screens intakes, decides scope of practice and referrals,
and tracks every referral to a clinician until it is answered and closed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from inscope_common.auth import document_staff_auth, install_auth
from inscope_common.client_rights import install_client_records
from inscope_common.consumer import EventConsumer, register_consumer
from inscope_common.http import init_platform_http
from inscope_common.openapi import make_api
from inscope_common.retention import Rule, retention_sweep
from inscope_common.runtime import build_runtime
from inscope_common.web import init_shared_web


def create_app(env: Mapping[str, str] | None = None, role: str = "web") -> Flask:
    from inscope_common.config import enforce_secrets
    from inscope_referral import (
        api,
        board_index,
        client_records,
        pages,
        rights,
        service,
        staff_pages,
        status_stamps,
        tasks,
    )
    from inscope_referral.config import load_settings
    from inscope_referral.deployment import CONTRACT
    from inscope_referral.identity import accounts
    from inscope_referral.identity import pages as identity_pages
    from inscope_referral.models import AuditEntry, Base, LoginFailure, platform

    settings = load_settings(env)
    # Fail closed: the secrets this role needs must be real ones (INSCOPE_ENV).
    enforce_secrets(settings, CONTRACT.secrets(role))
    app = Flask("inscope_referral")
    # The staff pages' catalog: inscope_referral/translations (`make messages`). The
    # physician's answer pages, like the letters, stay in the facility's language.
    init_shared_web(app, settings.language, str(Path(__file__).parent / "translations"))
    rt = build_runtime(app, settings, Base, platform)
    app.extensions["inscope_audit"] = AuditEntry  # the audit log (inscope_common.audit)
    # Failed sign-ins count for 24 hours; the relay deletes them after their retention.
    rt.relay.sweeps.append(
        retention_sweep(
            rt.session_factory,
            [Rule("failed_logins", LoginFailure, "at", settings.retention_s["failed_logins"])],
        )
    )
    board_index.install(rt.session_factory, getattr(settings, "emergency_number", "911"))
    # Each client's status version (ETag, 304 and ?wait= on GET /clients/<id>/status).
    stamps = status_stamps.StatusStamps(settings.redis_url, settings.status_waiters)
    status_stamps.install(rt.session_factory, stamps)
    app.extensions[status_stamps.EXTENSION] = stamps
    # Export and erasure of one client's data (inscope_common.client_rights).
    handlers = install_client_records(app, client_records.RECORDS, AuditEntry, service.HANDLERS)
    consumer = EventConsumer(
        settings, rt.session_factory, platform, handlers, rt.relay, check_in_transaction=True
    )
    register_consumer(rt.celery_app, consumer)
    tasks.register_sweeps(rt.celery_app, rt)
    smorest = make_api(app, "InScope referral")
    document_staff_auth(smorest)
    for blueprint in (api.blp, api.referrals_blp, api.inbound_blp, api.people_blp, pages.blp):
        smorest.register_blueprint(blueprint)
    # Staff identity (sign-in, accounts, tokens): inscope_referral.identity.
    app.register_blueprint(identity_pages.bp)
    app.register_blueprint(staff_pages.bp)
    app.register_blueprint(rights.bp)
    init_platform_http(app, smorest, settings, rt.session_factory)
    credentials = install_auth(app, settings)
    # The staff hub reads the revocation list from its own database (the source of
    # truth) and copies it to the broker for the other services (inscope_common.revocation).
    if credentials.revocations is not None:
        credentials.revocations.set_source(lambda: accounts.current_revocations(rt))
    if role == "web":
        accounts.publish_revocations(rt)
        _warm_lexicon()
    return app


def _warm_lexicon() -> None:
    """The clinician's answer rebuilds the program through the engine, which reads the
    intake's free text: compile the lexicon (seconds of CPU) now, in the background,
    rather than in the first answer's request (referrals.record_answer)."""
    import threading

    from inscope_clinical.free_text import compiled_lexicon

    threading.Thread(target=compiled_lexicon, name="lexicon", daemon=True).start()
