"""Re-render the re-assessment and program samples (issue 9 items 4 and 5).

    .venv/bin/python docs/examples/render_program.py

The README's example client (examples/intake.json) assessed twice: examples/
assessment-clear.json, then the same four weeks on with the knees no longer caving in
and the right shoulder-mobility score up from 1 to 2. Everything comes from the engine,
inscope_clinical.trends / program_sheet and the real templates and PDF code:

* docs/examples/program.pdf - the PDF attached to the program-ready email;
* docs/screenshots/program-print.png - "Print program" (the same words, Chromium);
* docs/screenshots/client-trend.png - the client page's trend chart and table (Chromium);
* docs/examples/trend-chart.svg - the chart alone.

Needs Debian's Chromium (/usr/bin/chromium) for the PNGs.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from inscope_clinical import AssessmentSchema, IntakeSchema, decide, score_assessment, trends
from inscope_clinical.program_sheet import line_of, program_sheet
from inscope_notify.program_pdf import render_program_pdf

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SHOTS = REPO / "docs" / "screenshots"
FIRST, SECOND = dt.date(2026, 10, 30), dt.date(2026, 11, 27)
CHROMIUM = "/usr/bin/chromium"


def load(name: str) -> dict:
    return json.loads((REPO / "examples" / name).read_text())


def better(assessment: dict) -> dict:
    a = copy.deepcopy(assessment)
    a["ohsa"]["compensations"] = [
        c for c in a["ohsa"]["compensations"] if c["compensation"] != "knees_move_inward"
    ]
    a["fms"]["tests"]["shoulder_mobility"] = {"left": 2, "right": 2}
    return a


def assessed() -> tuple[dict, dict, list[dict]]:
    body = load("intake.json")
    intake = IntakeSchema().load(body["intake"])
    points = []
    decision = None
    for i, (raw, day) in enumerate(((load("assessment-clear.json"), FIRST),
                                    (better(load("assessment-clear.json")), SECOND))):
        assessment = AssessmentSchema().load(raw)
        scoring = score_assessment(assessment)
        points.append({"at": day.isoformat(), "assessment_id": f"assessment-{i + 1}",
                       "summary": trends.summary(assessment, scoring)})
        decision = decide(intake, age_years=38, assessment=assessment, scoring=scoring,
                          as_of=day)
    rows = trends.trend_rows(points)
    previous = points[0]["summary"]
    decision["program"] = trends.progress_program(
        decision["program"], trends.step_between(previous, points[-1]["summary"]))
    return body, decision, rows


def inline_css(app, html: str) -> str:
    client = app.test_client()

    def fetch(match: re.Match) -> str:
        href = match.group(1)
        css = client.get(href).get_data(as_text=True)
        return f"<style>{css}</style>"

    return re.sub(r'<link rel="stylesheet" href="([^"]+)">', fetch, html)


def shoot(html: str, out: Path, width: int, height: int, scrollbars: bool = False) -> None:
    if not Path(CHROMIUM).exists():
        print(f"no Chromium: {out.name} not made")
        return
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(html)
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        *([] if scrollbars else ["--hide-scrollbars"]),
                        f"--window-size={width},{height}",
                        f"--screenshot={out}", page.as_uri()],
                       check=True, capture_output=True, timeout=60)
    print(f"wrote {out.relative_to(REPO)}")


def main() -> None:
    from flask import render_template

    from inscope_referral import create_app

    body, decision, rows = assessed()
    client = body["client"]
    name = f"{client['first_name']} {client['last_name']}"
    sheet = program_sheet(decision["program"], client_name=name,
                          facility="InScope Corrective Exercise Studio")
    (HERE / "program.pdf").write_bytes(
        render_program_pdf(sheet, "InScope Corrective Exercise Studio"))
    (HERE / "trend-chart.svg").write_text(trends.trend_svg(rows) + "\n")
    print("wrote docs/examples/program.pdf, docs/examples/trend-chart.svg")

    var = Path(tempfile.mkdtemp())
    app = create_app({"INSCOPE_DATA_DIR": str(var),
                      "REFERRAL_DATABASE_URL": f"sqlite:///{var}/r.sqlite3",
                      "INSCOPE_SCHEMA": "create", "INSCOPE_ENV": "development"})
    try:
        with app.test_request_context("/clients/c1/program/print"):
            page = render_template("program_print.html", sheet=sheet, line_of=line_of,
                                   client_id="c1", sheet_language="en", other_language=None)
        shoot(inline_css(app, page), SHOTS / "program-print.png", 900, 2200)
        with app.test_request_context("/clients/c1/view"):
            from markupsafe import Markup

            staff_css = render_template("staff_base.html")
            chart = Markup(trends.trend_svg(rows))
            table = render_template_string_of_trend(rows, chart)
        head = re.search(r"<head>.*?</head>", staff_css, re.S).group(0)
        html = f"<!doctype html><html>{head}<body><main>{table}</main></body></html>"
        # With its scrollbars: the wide table scrolls in its own region (.table-scroll).
        shoot(inline_css(app, html), SHOTS / "client-trend.png", 1400, 840, scrollbars=True)
    finally:
        app.extensions["inscope"].engine.dispose()
        shutil.rmtree(var, ignore_errors=True)


def render_template_string_of_trend(rows: list[dict], chart) -> str:
    """The client page's 'Assessments over time' section, cut from the real template."""
    from flask import render_template_string

    source = (REPO / "services/referral/inscope_referral/templates/client.html").read_text()
    start = source.index("<h2 id=\"h-trend\">{{ _('Assessments over time') }}</h2>")
    end = source.index("{% else %}<p>{{ _('No scored assessment yet.') }}</p>{% endif %}")
    section = source[start:end] + "{% endif %}"
    return render_template_string("{% if s.trend %}" + section[section.index("<figure"):],
                                  s={"trend": rows}, trend_chart=chart,
                                  test_words=trends.TEST_WORDS).replace(
        "<figure", "<h2 id=\"h-trend\">Assessments over time</h2><figure", 1)


if __name__ == "__main__":
    main()
