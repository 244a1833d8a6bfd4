"""Every time a page shows is in the facility's zone and date format (FACILITY_TIME_ZONE,
FACILITY_LOCALE), never UTC once the facility sets its own zone."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from inscope_common.config import ConfigError, ServiceSettings
from inscope_common.localtime import Locale
from tests.services.conftest import example


def test_a_utc_instant_reads_in_the_facility_zone_and_format():
    chicago = Locale.from_env({"FACILITY_TIME_ZONE": "America/Chicago", "FACILITY_LOCALE": "en-US"})
    # 03:30 UTC on 4 December is still the evening of 3 December in Chicago.
    assert chicago.datetime("2026-12-04T03:30:00+00:00") == "12/03/2026 21:30 CST"
    assert chicago.today(datetime(2026, 12, 4, 3, 30, tzinfo=UTC)).isoformat() == "2026-12-03"
    assert chicago.paper == "Letter"
    warsaw = Locale.from_env({"FACILITY_TIME_ZONE": "Europe/Warsaw", "FACILITY_LOCALE": "pl_PL"})
    assert warsaw.datetime(datetime(2026, 7, 1, 10, 0)) == "01.07.2026 12:00 CEST"  # naive = UTC
    assert warsaw.date("1988-04-12") == "12.04.1988" and warsaw.paper == "A4"
    assert (
        Locale.from_env({"FACILITY_LOCALE": "en-GB", "FACILITY_PAPER": "letter"}).paper == "Letter"
    )
    # Unset: UTC, ISO dates, as before.
    assert Locale.from_env({}).datetime("2026-12-04T03:30:00Z") == "2026-12-04 03:30 UTC"


@pytest.mark.parametrize(
    "env",
    [
        {"FACILITY_TIME_ZONE": "Mars/Olympus"},
        {"FACILITY_LOCALE": "xx-XX"},
        {"FACILITY_PAPER": "A3"},
    ],
)
def test_a_wrong_setting_is_refused_at_start_up(env):
    with pytest.raises(ConfigError):
        ServiceSettings.from_env("intake", env)


@pytest.fixture
def chicago_intake(service_env):
    from inscope_intake import create_app

    app = create_app(
        {**service_env, "FACILITY_TIME_ZONE": "America/Chicago", "FACILITY_LOCALE": "en-US"}
    )
    yield app
    app.extensions["inscope"].engine.dispose()


def test_the_intake_page_shows_its_times_in_the_facility_zone(chicago_intake):
    body = copy.deepcopy(example("intake.json"))
    created = chicago_intake.test_client().post("/intakes", json=body)
    assert created.status_code == 201, created.get_json()
    intake_id = created.get_json()["id"]
    from inscope_intake.models import Intake

    with chicago_intake.extensions["inscope"].session_factory() as session:
        submitted = session.get(Intake, intake_id).submitted_at
    html = chicago_intake.test_client().get(f"/intakes/{intake_id}/view").get_data(as_text=True)
    local = submitted.astimezone(ZoneInfo("America/Chicago"))
    expected = local.strftime("%m/%d/%Y %H:%M ") + local.tzname()
    assert f"<dt>Submitted</dt><dd>{expected}</dd>" in html
    # The consent was signed at 09:30 UTC on 26 November: 03:30 in Chicago.
    assert "11/26/2026 03:30 CST" in html
    assert "<dt>Date of birth</dt><dd>04/12/1988</dd>" in html  # the locale's date format
    assert " UTC" not in html
