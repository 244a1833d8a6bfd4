"""The intake contact read shared by notify and referral: what is permanent, what not."""

from __future__ import annotations

import gc
import http.server
import json
import threading
import time
import warnings

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


class _KeepAlive(http.server.BaseHTTPRequestHandler):
    """An HTTP/1.1 server that keeps connections open, counting them; ``drop`` makes it
    close a connection after its reply without saying so (a keep-alive run out)."""

    protocol_version = "HTTP/1.1"
    connections = 0
    drop = False

    def setup(self) -> None:
        type(self).connections += 1
        super().setup()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = json.dumps({"client": {"email": "a@example.com"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if type(self).drop:
            self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


def test_reads_share_a_kept_connection_and_one_closed_meanwhile_is_opened_again(tmp_path):
    """The contact is read over one kept HTTP/1.1 connection per thread (issue 13); a
    connection the server closed while it was kept (its keep-alive ran out) is found
    stale and the read is sent again once on a new one."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = _settings(tmp_path, f"http://127.0.0.1:{server.server_port}")
        for _ in range(3):
            assert fetch_contact(settings, "x")["client"]["email"] == "a@example.com"
        assert _KeepAlive.connections == 1
        _KeepAlive.drop = True
        assert fetch_contact(settings, "x")["client"]["email"] == "a@example.com"
        time.sleep(0.2)  # the server has closed it now
        assert fetch_contact(settings, "x")["client"]["email"] == "a@example.com"
        assert _KeepAlive.connections == 2
    finally:
        server.shutdown()
        server.server_close()


def test_a_threads_kept_connection_is_closed_when_the_thread_ends(tmp_path):
    """A connection kept for a thread is closed when the thread ends (its socket was left
    to the garbage collector: 'ResourceWarning: unclosed socket', printed when a worker
    thread of an in-process test ended, or at the interpreter's exit)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = _settings(tmp_path, f"http://127.0.0.1:{server.server_port}")
    read: list[dict] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            reader = threading.Thread(target=lambda: read.append(fetch_contact(settings, "x")))
            reader.start()
            reader.join()
            del reader
            gc.collect()
        assert read and read[0]["client"]["email"] == "a@example.com"
        assert [str(w.message) for w in caught if w.category is ResourceWarning] == []
    finally:
        server.shutdown()
        server.server_close()
