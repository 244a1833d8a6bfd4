"""The Prometheus configuration and the Grafana dashboard name what the code exports,
and every worker, relay and beat container has a heartbeat healthcheck."""

from __future__ import annotations

import json
import re

import yaml

from tests.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
EXPORTED_FILES = ("lib/inscope_common/metrics.py", "services/notify/inscope_notify/metrics.py")


def exported() -> set[str]:
    names: set[str] = set()
    for path in EXPORTED_FILES:
        names |= set(re.findall(r'"(inscope_[a-z_]+)"', (REPO / path).read_text()))
    return names


def test_the_dashboard_reads_only_series_the_code_exports():
    dashboard = json.loads((REPO / "deploy/grafana/dashboards/inscope.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {
        re.sub(r"_(total|bucket|count|sum)$", "", name)
        for expr in exprs
        for name in re.findall(r"\b(inscope_[a-z_]+)", expr)
    }
    assert used and used <= exported(), used - exported()
    # What the issue asks a dashboard to show, by series.
    for series in ("inscope_http_request_duration_seconds", "inscope_tasks",
                   "inscope_task_duration_seconds", "inscope_queue_depth",
                   "inscope_outbox_lag_seconds", "inscope_deliveries", "inscope_task_retries",
                   "inscope_dead_letters_open", "inscope_stuck_work"):  # fmt: skip
        assert series in used, series


def test_prometheus_scrapes_every_web_worker_and_relay_container():
    config = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    targets = {
        target for job in config["scrape_configs"] for group in job.get("static_configs", [])
        for target in group["targets"]
    }  # fmt: skip
    # A container run as replicas is found by DNS, every replica's address.
    targets |= {
        f"{name}:{group['port']}" for job in config["scrape_configs"]
        for group in job.get("dns_sd_configs", []) for name in group["names"]
        if group.get("type") == "A"
    }  # fmt: skip
    replicated = {
        name for name, container in SERVICES.items()
        if container.get("deploy", {}).get("replicas", 1) > 1
    }  # fmt: skip
    static = {t.split(":")[0] for job in config["scrape_configs"]
              for group in job.get("static_configs", []) for t in group["targets"]}  # fmt: skip
    assert not replicated & static, "a replicated container's name is one replica only"
    for name, container in SERVICES.items():
        if name.endswith("-web"):
            port = container["command"][container["command"].index("--bind") + 1].split(":")[1]
            assert f"{name}:{port}" in targets, name
        elif name.endswith(("-worker", "-relay")):
            assert container["environment"]["INSCOPE_METRICS_PORT"] == "9808", name
            assert f"{name}:9808" in targets, name
    hosts = {t.split(":")[0] for t in targets}
    assert hosts <= set(SERVICES), hosts - set(SERVICES)


def test_workers_relays_and_beat_have_a_heartbeat_healthcheck():
    for name, container in SERVICES.items():
        if not name.endswith(("-worker", "-relay", "-beat")):
            continue
        path = container["environment"]["INSCOPE_HEARTBEAT_FILE"]
        test = container["healthcheck"]["test"]
        assert test[:4] == ["CMD", "python", "-m", "inscope_common.heartbeat"], name
        assert test[4] == path and float(test[5]) >= 30, name


def test_the_optional_profiles_stay_out_of_a_plain_up():
    assert SERVICES["prometheus"]["profiles"] == ["observability"]
    assert SERVICES["grafana"]["profiles"] == ["observability"]
    assert SERVICES["mailpit"]["profiles"] == ["mailpit"]
    assert all("profiles" not in c for n, c in SERVICES.items()
               if n not in ("prometheus", "grafana", "mailpit"))  # fmt: skip
