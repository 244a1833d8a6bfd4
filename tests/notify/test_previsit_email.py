"""The pre-visit link's email (issue 15 item 2): notify takes ``intake.previsit_invited``
from the intake service's outbox, reads the address from the intake service and sends
the link; a link already used is not emailed."""

from __future__ import annotations

from sqlalchemy import select, update

from inscope_common.auth import FRONT_DESK
from inscope_intake import previsit
from inscope_intake.models import PrevisitLink
from tests.notify.conftest import by_recipient, consume, deliveries, html_of, text_of
from tests.services.conftest import staff


def _invite(intake_app, email="dana.rivera@example.com", language=None):
    rt = intake_app.extensions["inscope"]
    from inscope_common.audit import Actor

    who = staff(FRONT_DESK)
    with intake_app.app_context():
        row = previsit.send_link(rt, "Dana", "Rivera", email,
                                 Actor(who.account_id, who.name, who.role, "page"), language)
    model = rt.models.OutboxEvent
    with rt.session_factory() as session:
        (event,) = session.scalars(select(model.envelope).where(
            model.type == "intake.previsit_invited.v1")).all()
    return row, event


def test_the_link_is_emailed_to_the_client(notify, intake_server, smtp_sink):
    row, event = _invite(intake_server)
    assert consume(notify, event) == "processed"
    mail = by_recipient(smtp_sink)["dana.rivera@example.com"]
    text = " ".join(text_of(mail).split())
    assert mail["Subject"].startswith("Before your first visit to")
    assert "Hello Dana," in text and event["data"]["link_url"] in text
    assert "works once, until" in text
    assert event["data"]["link_url"] in html_of(mail)
    (delivery,) = deliveries(notify, row.id)
    assert delivery["kind"] == "client_previsit" and delivery["status"] == "sent"


def test_a_link_already_used_is_not_emailed(notify, intake_server, smtp_sink):
    row, event = _invite(intake_server)
    rt = intake_server.extensions["inscope"]
    with rt.session_factory() as session, session.begin():
        session.execute(update(PrevisitLink).where(PrevisitLink.id == row.id)
                        .values(status="submitted"))
    assert consume(notify, event) == "processed"
    assert smtp_sink.messages == [] and deliveries(notify, row.id) == []
