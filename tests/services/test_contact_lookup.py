"""The intake contact read shared by notify and referral: what is permanent, what not."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from inscope_common import keys
from inscope_common.config import ServiceSettings
from inscope_common.intake_contact import ContactUnavailable, fetch_contact
from tests.conftest import free_port


@pytest.fixture
def intake_url(intake_app):
    port = free_port()
    server = make_server("127.0.0.1", port, intake_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join()


def _settings(tmp_path, intake_url: str, service: str = "notify", **env: str) -> ServiceSettings:
    """The settings of a calling service: its own development key unless told."""
    return ServiceSettings.from_env(
        service, {"INSCOPE_DATA_DIR": str(tmp_path), "INTAKE_URL": intake_url, **env}
    )


def test_contact_is_read_with_the_callers_own_credential(
    tmp_path, intake_app, intake_url, intake_body
):
    created = intake_app.test_client().post("/intakes", json=intake_body).get_json()
    contact = fetch_contact(_settings(tmp_path, intake_url), created["id"])
    assert contact["client"]["email"] == "dana.rivera@example.com"
    assert contact["consent"]["share_with_physician"] is True


@pytest.mark.parametrize(
    ("intake_id", "service", "env", "status"),
    [
        ("no-such-intake", "notify", {}, 404),
        # A key intake does not know for notify.
        ("anything", "notify", {"NOTIFY_SERVICE_KEY": keys.new_key_pair()[0]}, 401),
        # A service intake's contact endpoint does not admit.
        ("anything", "assessment", {}, 403),
    ],
)
def test_unknown_intakes_and_refused_credentials_are_permanent(
    tmp_path, intake_url, intake_id, service, env, status
):
    with pytest.raises(ContactUnavailable) as info:
        fetch_contact(_settings(tmp_path, intake_url, service, **env), intake_id)
    assert info.value.status == status and info.value.permanent


def test_an_unreachable_intake_service_is_worth_retrying(tmp_path):
    settings = _settings(tmp_path, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ContactUnavailable) as info:
        fetch_contact(settings, "some-intake")
    assert info.value.status is None and not info.value.permanent
