"""The review loop on the staff pages (DEC-2 / DEC-3): a flagged client is listed
under "Needs review" on the board; the trainer opens the client page and confirms or
dismisses each flag there (the referral service forwards the choice to the intake
service over HTTP, as the trainer); after the re-screen the board no longer lists
them under "Needs review"."""

from __future__ import annotations

import re
from html import unescape

from inscope_common.auth import FRONT_DESK, TRAINER
from tests.conftest import sqlite_only
from tests.services.test_intake_dates_and_corrections import Flow, body
from tests.web.test_board import intake_server, referral  # noqa: F401  (fixtures)

database_backend = sqlite_only("the review loop's pages")

WEIGHT_LOSS = "Lost 8 kg in two months without trying"


def board_ids(html: str) -> list[str]:
    return re.findall(r'<tr data-client="([^"]+)"', html.split('<table id="board"', 1)[1])


def flagged(referral, intake_server, redis_client):  # noqa: F811
    _, intake_app = intake_server
    flow = Flow(intake_app, referral, redis_client)
    doc = body()
    doc["intake"]["notes"] = WEIGHT_LOSS
    created = flow.intake.post("/intakes", json=doc).get_json()
    calm = flow.intake.post("/intakes", json=body()).get_json()
    flow.pump()
    return flow, created, calm


def review_page(referral, intake_server, redis_client, notes: str):  # noqa: F811
    """A client screened with ``notes``, listed under needs review: the flow, the
    trainer's client, the client's id and the trainer's client page."""
    _, intake_app = intake_server
    flow = Flow(intake_app, referral, redis_client)
    doc = body()
    doc["intake"]["notes"] = notes
    client_id = flow.intake.post("/intakes", json=doc).get_json()["client_id"]
    flow.pump()
    trainer = referral.test_client(role=TRAINER)
    assert board_ids(trainer.get("/board?review=1").get_data(as_text=True)) == [client_id]
    page = unescape(trainer.get(f"/clients/{client_id}/view").get_data(as_text=True))
    return flow, trainer, client_id, page


def test_the_board_lists_flagged_clients_under_needs_review_until_dismissed(
    referral, intake_server, redis_client  # noqa: F811
):
    flow, created, calm = flagged(referral, intake_server, redis_client)
    client_id = created["client_id"]
    trainer = referral.test_client(role=TRAINER)
    html = trainer.get("/board").get_data(as_text=True)
    assert set(board_ids(html)) == {client_id, calm["client_id"]}
    row = html.split(f'<tr data-client="{client_id}"', 1)[1].split("</tr>", 1)[0]
    assert "Needs review" in row
    calm_row = html.split(f'<tr data-client="{calm["client_id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "Needs review" not in calm_row
    assert "Needs review (1)" in html
    assert board_ids(trainer.get("/board?review=1").get_data(as_text=True)) == [client_id]
    desk = referral.test_client(role=FRONT_DESK).get("/board").get_data(as_text=True)
    assert "Needs review" in desk and "Needs review (" not in desk  # label, no filter

    page = unescape(trainer.get(f"/clients/{client_id}/view").get_data(as_text=True))
    assert 'id="needs-review"' in page and f"“{WEIGHT_LOSS}”" in page
    assert "<strong>Read as:</strong> unexplained weight loss." in page
    key = re.search(r'data-review="([^"]+)"', page).group(1)

    refused = trainer.post(f"/clients/{client_id}/review",
                           data={"key": key, "action": "dismiss", "reason": " "})
    assert refused.status_code == 422
    assert "reason is required" in refused.get_data(as_text=True)
    done = trainer.post(f"/clients/{client_id}/review",
                        data={"key": key, "action": "dismiss",
                              "reason": "Weight lost on purpose, dieting with her GP"})
    assert done.status_code == 303, done.get_data(as_text=True)
    flow.pump()  # intake.corrected -> re-screen -> status to intake

    html = trainer.get("/board").get_data(as_text=True)
    assert board_ids(trainer.get("/board?review=1").get_data(as_text=True)) == []
    row = html.split(f'<tr data-client="{client_id}"', 1)[1].split("</tr>", 1)[0]
    assert "Needs review" not in row and 'data-status="awaiting_assessment"' in html
    page = unescape(trainer.get(f"/clients/{client_id}/view").get_data(as_text=True))
    assert "data-review=" not in page
    assert ("Dismissed “Lost 8 kg in two months without trying” by Test trainer (trainer)"
            in page)
    assert "Weight lost on purpose, dieting with her GP" in page


def test_confirming_on_the_client_page_ticks_the_answer_and_keeps_the_clearance(
    referral, intake_server, redis_client  # noqa: F811
):
    flow, created, _ = flagged(referral, intake_server, redis_client)
    client_id = created["client_id"]
    trainer = referral.test_client(role=TRAINER)
    page = trainer.get(f"/clients/{client_id}/view").get_data(as_text=True)
    key = re.search(r'data-review="([^"]+)"', page).group(1)
    done = trainer.post(f"/clients/{client_id}/review", data={"key": key, "action": "confirm"})
    assert done.status_code == 303, done.get_data(as_text=True)
    intake = flow.trainer.get(f"/intakes/{created['id']}").get_json()["intake"]
    assert intake["red_flags"]["unexplained_weight_loss"] is True
    flow.pump()
    html = trainer.get("/board").get_data(as_text=True)
    row = html.split(f'<tr data-client="{client_id}"', 1)[1].split("</tr>", 1)[0]
    assert "Needs review" not in row
    assert 'data-badge="Urgent"' in row  # the decision stays: urgent physician clearance
    page = unescape(trainer.get(f"/clients/{client_id}/view").get_data(as_text=True))
    assert "Confirmed “Lost 8 kg in two months without trying” by Test trainer" in page


def test_who_reviewed_a_flag_and_when_reads_in_the_facility_zone(
    service_env, intake_server, redis_client  # noqa: F811
):
    """Issue 15 item 6: the review's time on the client page is the facility's
    (America/Chicago, US dates), not UTC."""
    from inscope_referral import create_app
    from tests.conftest import free_port

    url, _ = intake_server
    app = create_app({**service_env, "INTAKE_URL": url,
                      "NOTIFY_URL": f"http://127.0.0.1:{free_port()}",
                      "FACILITY_TIME_ZONE": "America/Chicago", "FACILITY_LOCALE": "en-US"})
    try:
        flow, created, _ = flagged(app, intake_server, redis_client)
        client_id = created["client_id"]
        trainer = app.test_client(role=TRAINER)
        page = trainer.get(f"/clients/{client_id}/view").get_data(as_text=True)
        key = re.search(r'data-review="([^"]+)"', page).group(1)
        done = trainer.post(f"/clients/{client_id}/review",
                            data={"key": key, "action": "dismiss", "reason": "Dieting"})
        assert done.status_code == 303, done.get_data(as_text=True)
        flow.pump()
        page = unescape(trainer.get(f"/clients/{client_id}/view").get_data(as_text=True))
        said = re.search(r"Dismissed “[^”]+” by Test trainer \(trainer\) at ([^:<]+:\d\d [^:<]+):",
                         page)
        assert said and re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d C[SD]T", said[1]), said
        assert " UTC" not in page
    finally:
        app.extensions["inscope"].engine.dispose()


def test_notes_in_another_language_are_shown_to_read_with_only_a_dismiss(
    referral, intake_server, redis_client  # noqa: F811
):
    flow, trainer, client_id, page = review_page(
        referral, intake_server, redis_client, "Me duele el pecho cuando subo escaleras.")
    item = page.split('data-kind="unread"', 1)[1].split("</li>", 1)[0]
    assert "Not read by the screening (Spanish):" in item
    assert 'lang="es">Me duele el pecho cuando subo escaleras<' in item
    assert 'value="dismiss"' in item and 'value="confirm"' not in item
    assert "On hold — the client's words are in a language the screening does not read" in page
    key = re.search(r'data-review="([^"]+)"', page).group(1)
    done = trainer.post(f"/clients/{client_id}/review",
                        data={"key": key, "action": "dismiss",
                              "reason": "Read by Ana: chest pain on stairs; ticked on the intake"})
    assert done.status_code == 303, done.get_data(as_text=True)
    flow.pump()
    assert board_ids(trainer.get("/board?review=1").get_data(as_text=True)) == []


def test_a_finding_said_of_a_relative_asks_whose_it_is_and_does_not_decide(
    referral, intake_server, redis_client  # noqa: F811
):
    _, _, _, page = review_page(referral, intake_server, redis_client,
                                "Dad wakes up in the night gasping for breath and has to sit up.")
    review = page.split('id="needs-review"', 1)[1].split("</section>", 1)[0]
    # the panel's opening says what is true of these items: they do not decide
    assert "said of a relative, in notes that do not say who wrote them" in review
    assert "The more serious reading decides" not in review
    # (said once, in the opening, not again under each item)
    assert review.count("said of a relative") == 1 and "Said of a relative" not in review
    item = review.split('class="review-item"', 1)[1].split("</li>", 1)[0]
    assert "wakes up in the night gasping" in item and 'value="confirm"' in item
