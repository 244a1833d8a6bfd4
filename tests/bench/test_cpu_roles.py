"""bench.cpu: which role a process of the suite counts under (fast, no suite)."""

from __future__ import annotations

from bench.cpu import role_of
from inscope_common.devtools.suite import SuiteSettings, suite_processes


def test_each_process_of_the_suite_counts_under_its_own_role(tmp_path):
    settings = SuiteSettings.from_env(
        {"INSCOPE_DATA_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/52",
         "SMTP_URL": "smtp://127.0.0.1:25"}
    )  # fmt: skip
    roles = {p.name: role_of(p.argv) for p in suite_processes(settings)}
    assert roles["referral-beat"] == "referral-beat"  # not the referral worker's CPU
    for service in ("intake", "assessment", "referral", "notify"):
        assert roles[f"{service}-worker"] == f"{service}-worker"
        assert roles[f"{service}-relay"] == f"{service}-relay"
