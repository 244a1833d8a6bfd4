"""The one service-to-service read of directly identifying data: a client's contact
record, owned by the intake service and read at the moment it is needed (README, PHI
boundary). Notify reads it to send; the referral service to show the physician's page."""

from __future__ import annotations

import http.client
import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from functools import lru_cache
from typing import Any

from inscope_common.config import ServiceSettings
from inscope_common.service_auth import signer_for

# The intake service answers these for an unknown intake or a refused token: retrying
# cannot help.
PERMANENT_STATUSES = (401, 403, 404)


class ContactUnavailable(RuntimeError):
    """The intake service could not say who the client is."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def permanent(self) -> bool:
        return self.status in PERMANENT_STATUSES


def fetch_contact(settings: ServiceSettings, intake_id: str, timeout: float = 5) -> dict[str, Any]:
    """``GET {INTAKE_URL}/internal/intakes/<id>/contact`` with this service's own
    credential (inscope_common.service_auth)."""
    return _internal_read(settings, "intakes", intake_id, "intake contact", timeout)


def fetch_previsit_contact(
    settings: ServiceSettings, link_id: str, timeout: float = 5
) -> dict[str, Any]:
    """``GET {INTAKE_URL}/internal/previsit/<id>/contact``: who a pre-visit link is for
    (name, address, whether it still waits for the client), with this service's own
    credential."""
    return _internal_read(settings, "previsit", link_id, "pre-visit link", timeout)


def _internal_read(
    settings: ServiceSettings, kind: str, key: str, what: str, timeout: float
) -> dict[str, Any]:
    quoted = urllib.parse.quote(key, safe="")
    url = f"{settings.urls['intake']}/internal/{kind}/{quoted}/contact"
    headers = signer_for(settings).headers("intake")
    if _proxied(settings.urls["intake"]):
        return _read_through_urllib(url, headers, key, what, timeout)
    try:
        status, body = _connections.get(url, headers, timeout)
    except (OSError, http.client.HTTPException) as exc:
        raise ContactUnavailable(f"{what} {key}: {exc}") from exc
    if status >= 400:
        raise ContactUnavailable(f"{what} {key}: HTTP {status}", status)
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ContactUnavailable(f"{what} {key}: {exc}") from exc


def _read_through_urllib(
    url: str, headers: dict[str, str], key: str, what: str, timeout: float
) -> dict[str, Any]:
    """The read through urllib, for an intake URL that an HTTP proxy of the
    environment (``http_proxy``, not bypassed by ``no_proxy``) is to carry."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise ContactUnavailable(f"{what} {key}: HTTP {exc.code}", exc.code) from exc
    except (OSError, ValueError) as exc:  # URLError is an OSError
        raise ContactUnavailable(f"{what} {key}: {exc}") from exc


@lru_cache(maxsize=16)
def _proxied(base_url: str) -> bool:
    """Whether urllib would send requests to ``base_url`` through a proxy."""
    parts = urllib.parse.urlsplit(base_url)
    proxies = urllib.request.getproxies()
    return parts.scheme in proxies and not urllib.request.proxy_bypass(parts.hostname or "")


# A request on a kept connection that fails with one of these before any reply came
# back found the connection closed by the server meanwhile (its keep-alive ran out): the
# GET is sent again once, on a new connection.
_STALE = (
    http.client.RemoteDisconnected,
    http.client.BadStatusLine,
    ConnectionResetError,
    BrokenPipeError,
    ConnectionAbortedError,
)


class _Held(dict[tuple[str, str], http.client.HTTPConnection]):
    """One thread's kept connections. Its thread's local storage is freed when the thread
    ends (the main thread's, at the interpreter's exit): the connections are closed then,
    not left to the garbage collector ('ResourceWarning: unclosed socket')."""

    def __del__(self) -> None:
        for conn in self.values():
            conn.close()


class _KeptConnections:
    """One HTTP/1.1 connection per thread and server, kept open between reads (issue
    13: urllib opened a new TCP connection, and parsed its handlers and headers, for
    every event, about 0.4 ms of the notify worker's CPU, and the intake service
    accepted each one). A connection is used by its own thread only, and never across a
    fork."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._pid = os.getpid()

    def get(self, url: str, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
        parts = urllib.parse.urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn, kept = self._connection(parts.scheme, parts.netloc, timeout)
        try:
            return self._exchange(conn, path, headers, timeout)
        except _STALE:
            self._drop(parts.scheme, parts.netloc)
            if not kept:
                raise
        except BaseException:
            self._drop(parts.scheme, parts.netloc)
            raise
        conn, _ = self._connection(parts.scheme, parts.netloc, timeout)
        try:
            return self._exchange(conn, path, headers, timeout)
        except BaseException:
            self._drop(parts.scheme, parts.netloc)
            raise

    def _exchange(
        self, conn: http.client.HTTPConnection, path: str, headers: dict[str, str], timeout: float
    ) -> tuple[int, bytes]:
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.will_close:
            conn.close()  # the next read connects again
        return response.status, body

    def _held(self) -> _Held:
        if self._pid != os.getpid():  # a forked child: the parent's sockets are not ours
            self._pid = os.getpid()
            self._local = threading.local()
        held = getattr(self._local, "held", None)
        if held is None:
            held = self._local.held = _Held()
        return held

    def _connection(
        self, scheme: str, netloc: str, timeout: float
    ) -> tuple[http.client.HTTPConnection, bool]:
        held = self._held()
        conn = held.get((scheme, netloc))
        if conn is not None:
            return conn, conn.sock is not None
        factory = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        conn = held[(scheme, netloc)] = factory(netloc, timeout=timeout)
        return conn, False

    def _drop(self, scheme: str, netloc: str) -> None:
        conn = self._held().pop((scheme, netloc), None)
        if conn is not None:
            conn.close()


_connections = _KeptConnections()
