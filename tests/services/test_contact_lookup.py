"""The intake contact read shared by notify and referral: what is permanent, what not."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

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


def _settings(tmp_path, intake_url: str, token: str) -> ServiceSettings:
    return ServiceSettings.from_env(
        "notify",
        {
            "INSCOPE_DATA_DIR": str(tmp_path),
            "INTAKE_URL": intake_url,
            "INSCOPE_INTERNAL_TOKEN": token,
        },
    )


def test_contact_is_read_with_the_internal_token(tmp_path, intake_app, intake_url, intake_body):
    created = intake_app.test_client().post("/intakes", json=intake_body).get_json()
    contact = fetch_contact(_settings(tmp_path, intake_url, "test-token"), created["id"])
    assert contact["client"]["email"] == "dana.rivera@example.com"
    assert contact["consent"]["share_with_physician"] is True


@pytest.mark.parametrize(
    ("intake_id", "token", "status"),
    [
        ("no-such-intake", "test-token", 404),
        ("anything", "wrong-token", 401),
    ],
)
def test_unknown_intakes_and_refused_tokens_are_permanent(
    tmp_path, intake_url, intake_id, token, status
):
    with pytest.raises(ContactUnavailable) as info:
        fetch_contact(_settings(tmp_path, intake_url, token), intake_id)
    assert info.value.status == status and info.value.permanent


def test_an_unreachable_intake_service_is_worth_retrying(tmp_path):
    settings = _settings(tmp_path, f"http://127.0.0.1:{free_port()}", "test-token")
    with pytest.raises(ContactUnavailable) as info:
        fetch_contact(settings, "some-intake")
    assert info.value.status is None and not info.value.permanent
