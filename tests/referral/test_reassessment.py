"""Issue 9 item 4: re-assessment and trends, through the referral service (real Redis
and database). Two assessments -> the client page's chart and table and the status API
show both; the program keeps the four phases (CEC-1) and its acute variables follow
the new findings (CEC-2); pain at a re-assessment goes through the engine (FMS-8,
PAIN-6) and pauses the program."""

from __future__ import annotations

import copy
import re
from html import unescape
from typing import Any

import pytest

from inscope_common.audit import Actor
from tests.conftest import sqlite_only
from tests.services.conftest import example

database_backend = sqlite_only("re-assessment, trends and the program they give")

pytestmark = pytest.mark.usefixtures("database_backend")

TRAINER = Actor("t-1", "Test trainer", "trainer", "page")


def _better() -> dict[str, Any]:
    """The same client four weeks on: knees no longer cave in, shoulder mobility on the
    right up from 1 to 2 (FMS total 13 -> 14, one asymmetry and one compensation fewer)."""
    a = copy.deepcopy(example("assessment-clear.json"))
    a["ohsa"]["compensations"] = [
        c for c in a["ohsa"]["compensations"] if c["compensation"] != "knees_move_inward"]
    a["fms"]["tests"]["shoulder_mobility"] = {"left": 2, "right": 2}
    return a


def _page(app, client_id: str) -> str:
    from inscope_referral import board
    from inscope_referral.staff_pages import render_client_page

    rt = app.extensions["inscope"]
    status = board.client_detail(rt, client_id, TRAINER)
    with app.test_request_context(f"/clients/{client_id}/view"):
        return render_client_page(status, status["journey_inputs"], {}, [], "911")


def _status(app, who: dict[str, str]) -> dict[str, Any]:
    return app.test_client().get(f"/clients/{who['client_id']}/status").get_json()


def _phase(program: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in program["phases"] if p["phase"] == name)


def test_two_assessments_show_in_the_trend_chart_and_table(app, flow):
    who = flow.submit_intake()
    flow.score(who, example("assessment-clear.json"), "a-first")
    first = _status(app, who)
    assert first["status"] == "program_ready"
    assert first["program"]["progression"]["step"] == "first"
    flow.score(who, _better(), "a-second")
    status = _status(app, who)
    assert status["status"] == "program_ready"
    assert [r["assessment_id"] for r in status["trend"]] == ["a-first", "a-second"]
    assert [r["fms_total"] for r in status["trend"]] == [13, 14]
    assert status["trend"][1]["change"] == 1
    html = _page(app, who["client_id"])
    chart = re.search(r'<figure class="trend" id="trend-chart">(.*?)</figure>', html, re.S)
    assert chart and "<svg" in chart.group(1) and "<script" not in chart.group(1)
    # One point per assessment on the total line, each with its value.
    assert re.findall(r'class="trend-point" data-total="(\d+)"', chart.group(1)) == ["13", "14"]
    assert "trend-total" in chart.group(1)  # the line joining them
    table = re.search(r'<table id="trend-table">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr><td>(.*?)</tr>", table, re.S)
    assert len(rows) == 2
    assert "<td>13</td>" in rows[0] and "<td>14</td><td>+1</td>" in rows[1]
    assert "Shoulder mobility" in unescape(rows[0]) and "knees move inward" in rows[0]
    assert "knees move inward" not in rows[1]
    # The chart needs no script and no external resource.
    assert "http" not in chart.group(1).replace("http://www.w3.org/2000/svg", "")


def test_the_trend_table_dates_follow_the_facility_locale(referral_env, intake_server,
                                                          redis_client):
    """Issue 15 item 6: a Polish facility reads the assessments' dates as 04.12.2026."""
    from inscope_referral import create_app
    from tests.referral.conftest import Flow

    app = create_app({**referral_env, "FACILITY_LOCALE": "pl-PL",
                      "FACILITY_TIME_ZONE": "Europe/Warsaw"})
    try:
        flow = Flow(app, intake_server, redis_client)
        who = flow.submit_intake()
        flow.score(who, example("assessment-clear.json"), "a-first")
        flow.score(who, _better(), "a-second")
        table = re.search(r'<table id="trend-table">(.*?)</table>',
                          _page(app, who["client_id"]), re.S).group(1)
        dates = re.findall(r"<tr><td>([^<]*)</td>", table)
        assert len(dates) == 2 and all(re.fullmatch(r"\d\d\.\d\d\.\d{4}", d) for d in dates)
    finally:
        app.extensions["inscope"].engine.dispose()


def test_reassessment_progresses_the_acute_variables_within_four_phases(app, flow):
    who = flow.submit_intake()
    flow.score(who, example("assessment-clear.json"), "a-first")
    before = _status(app, who)["program"]
    flow.score(who, _better(), "a-second")
    after = _status(app, who)["program"]
    assert [p["phase"] for p in after["phases"]] == ["inhibit", "lengthen", "activate",
                                                     "integrate"]
    assert after["progression"]["step"] == "progress"
    assert _phase(before, "activate")["variables"]["sets"] == "1-2"
    assert _phase(after, "activate")["variables"]["sets"] == "2"
    assert _phase(after, "activate")["variables"]["reps"] == "15"
    assert _phase(after, "integrate")["variables"]["sets"] == "2-3"
    # Inhibit and lengthen keep their holds.
    assert _phase(after, "lengthen")["variables"]["hold"] == "30 s"
    # Worse again: back to the lower end.
    flow.score(who, example("assessment-clear.json"), "a-third")
    worse = _status(app, who)["program"]
    assert worse["progression"]["step"] == "regress"
    assert _phase(worse, "activate")["variables"]["sets"] == "1"


def test_pain_at_a_reassessment_refers_and_pauses_the_program(app, flow):
    who = flow.submit_intake()
    flow.score(who, example("assessment-clear.json"), "a-first")
    assert _status(app, who)["program"] is not None
    flow.score(who, example("assessment-pain.json"), "a-pain")
    status = _status(app, who)
    assert status["status"] == "referred"
    assert status["program"] is None
    assert status["journey"]["do_not_train"] is True
    assert any(r["status"] != "closed" for r in status["referrals"])
    assert len(status["trend"]) == 2  # the painful assessment is on the trend too


def test_print_program_page_lists_every_exercise_with_its_variables(app, flow):
    """Issue 9 item 5: "Print program" on the client page, the same words as the PDF."""
    from inscope_clinical.program_sheet import line_of, program_sheet
    from inscope_notify import scope_guard

    who = flow.submit_intake()
    flow.score(who, example("assessment-clear.json"), "a-first")
    program = _status(app, who)["program"]
    assert 'id="print-program"' in _page(app, who["client_id"])
    trainer = app.test_client(role="trainer")
    page = trainer.get(f"/clients/{who['client_id']}/program/print")
    assert page.status_code == 200
    html = unescape(page.get_data(as_text=True))
    assert "<script" not in html
    for e in program_sheet(program).exercises():
        block = html[html.index(f"<h3>{e.name}</h3>"):]
        block = block[:block.index("</div>")]
        assert line_of(e) in block
    text = re.sub(r"<[^>]+>", " ", html)
    assert scope_guard.check({"page": text}) == []


def test_print_program_is_in_the_client_s_language_as_their_emailed_pdf(app, flow):
    """A client who reads Spanish gets the printed sheet in Spanish, word for word the
    sheet notify writes into the PDF of their program-ready email (its own catalog);
    the trainer can print the facility's English copy from the same page."""
    from inscope_clinical.program_sheet import line_of, program_sheet
    from inscope_notify.mail import client_translations as notify_catalog

    body = copy.deepcopy(example("intake.json"))
    body["client"]["preferred_language"] = "es"
    who = flow.submit_intake(body)
    flow.score(who, example("assessment-clear.json"), "a-first")
    program = _status(app, who)["program"]
    name = f"{body['client']['first_name']} {body['client']['last_name']}"
    facility = app.extensions["inscope"].settings.facility_name  # notify's sender's too
    emailed = program_sheet(program, client_name=name, facility=facility,
                            gettext=notify_catalog("es").gettext)
    english = program_sheet(program, client_name=name, facility=facility)
    assert emailed.title != english.title  # the catalog really translates the sheet
    trainer = app.test_client(role="trainer")
    url = f"/clients/{who['client_id']}/program/print"
    html = unescape(trainer.get(url).get_data(as_text=True))
    assert '<html lang="es">' in html
    assert f'<h1 id="sheet-title">{emailed.title}</h1>' in html
    for line in (*emailed.intro, *emailed.limits, *emailed.closing):
        assert line in html
    for e in emailed.exercises():
        block = html[html.index(f"<h3>{e.name}</h3>"):]
        assert line_of(e) in block[:block.index("</div>")]
    assert english.intro[0] not in html
    # The staff's own words stay in the facility's language, marked as such.
    assert '<p class="screen-only" lang="en">' in html
    link = re.search(r'<a id="other-language" href="([^"]+)"[^>]*>([^<]+)</a>', html)
    assert link and link[1] == f"{url}?language=en" and link[2] == "This sheet in English"
    copy_en = unescape(trainer.get(link[1]).get_data(as_text=True))
    assert '<html lang="en">' in copy_en and f">{english.title}</h1>" in copy_en
    assert english.intro[0] in copy_en and emailed.intro[0] not in copy_en
    assert 'href="' + url + '?language=es"' in copy_en  # and back to the client's
    # A language no client reads is ignored: the client's.
    assert '<html lang="es">' in trainer.get(f"{url}?language=xx").get_data(as_text=True)


def test_print_program_for_a_client_who_named_no_language_is_the_facility_s(app, flow):
    """Control: no preferred_language, English facility: the English sheet, no link."""
    who = flow.submit_intake()
    flow.score(who, example("assessment-clear.json"), "a-first")
    html = unescape(app.test_client(role="trainer").get(
        f"/clients/{who['client_id']}/program/print").get_data(as_text=True))
    assert '<html lang="en">' in html and 'id="other-language"' not in html
    assert "Do the four parts in this order" in html


def test_no_print_program_while_training_is_paused(app, flow):
    """Control: a referred client (pain) has no program to print."""
    who = flow.submit_intake()
    flow.score(who, example("assessment-pain.json"), "a-pain")
    trainer = app.test_client(role="trainer")
    assert trainer.get(f"/clients/{who['client_id']}/program/print").status_code == 404
    assert 'id="print-program"' not in _page(app, who["client_id"])


def test_print_program_page_needs_no_inline_style_or_script(app, flow):
    """The page works under the services' CSP (style-src 'self', no inline script)."""
    who = flow.submit_intake()
    flow.score(who, example("assessment-clear.json"), "a-first")
    html = app.test_client(role="trainer").get(
        f"/clients/{who['client_id']}/program/print").get_data(as_text=True)
    assert "<style" not in html and "<script" not in html and " style=" not in html
    assert "program_print.css" in html


def test_print_program_dates_the_next_check_in_the_facility_format(app, flow, monkeypatch):
    """Issue 15 item 6: the printed sheet gives the next movement check in the
    facility's date format (en-US here), as the emailed sheet does, not the stored ISO
    date."""
    from dataclasses import replace

    from inscope_common.localtime import Locale

    rt = app.extensions["inscope"]
    us = Locale.from_env({"FACILITY_TIME_ZONE": "America/Chicago", "FACILITY_LOCALE": "en-US"})
    monkeypatch.setattr(rt, "settings", replace(rt.settings, locale=us))
    who = flow.submit_intake()
    flow.score(who, example("assessment-clear.json"), "a-first")
    iso = _status(app, who)["program"]["reassess_on"]
    year, month, day = iso.split("-")
    html = unescape(app.test_client(role="trainer").get(
        f"/clients/{who['client_id']}/program/print").get_data(as_text=True))
    assert f"Next movement check: {month}/{day}/{year}." in html
    assert iso not in html


def test_the_board_and_client_page_date_the_re_assessment_in_the_facility_format(
    app, flow, monkeypatch
):
    """Issue 15 item 6: "Train; re-assess on <date>" in the facility's date format
    (en-GB here) on the board and the client page; the status API keeps the stored ISO
    date in its English."""
    from inscope_common.localtime import Locale

    gb = Locale.from_env({"FACILITY_TIME_ZONE": "Europe/London", "FACILITY_LOCALE": "en-GB"})
    monkeypatch.setitem(app.jinja_env.globals, "facility_locale", gb)
    who = flow.submit_intake()
    flow.score(who, example("assessment-clear.json"), "a-first")
    status = _status(app, who)
    iso = status["program"]["reassess_on"]
    year, month, day = iso.split("-")
    assert status["journey"]["next_action"] == f"Train; re-assess on {iso}"
    said = f"Train; re-assess on {day}/{month}/{year}"
    board = app.test_client(role="trainer").get("/board").get_data(as_text=True)
    assert said in board and f"re-assess on {iso}" not in board
    assert said in _page(app, who["client_id"])


@pytest.mark.parametrize(("locale", "paper"), [("en-GB", "a4"), ("en-US", "letter"),
                                               ("", "letter")])
def test_the_printed_sheet_is_laid_out_on_the_facility_s_paper(
    app, flow, monkeypatch, locale, paper
):
    """Issue 15 item 6, "paper size (A4/Letter) by locale setting": the printed program
    asks the browser for the facility's paper (@page size), as the emailed PDFs use it."""
    from inscope_common.localtime import Locale

    monkeypatch.setitem(app.jinja_env.globals, "facility_locale",
                        Locale.from_env({"FACILITY_LOCALE": locale}))
    who = flow.submit_intake()
    flow.score(who, example("assessment-clear.json"), "a-first")
    client = app.test_client(role="trainer")
    html = client.get(f"/clients/{who['client_id']}/program/print").get_data(as_text=True)
    [sheet] = re.findall(r'href="([^"]*/paper-[a-z0-9]+\.css)"', html)
    assert sheet.endswith(f"/paper-{paper}.css")
    with client.get(sheet) as response:  # a file response: closed, not left to the GC
        css = response.get_data(as_text=True)
    assert f"size: {'A4' if paper == 'a4' else 'letter'}" in css
