"""Issue 12 item 7: the audit log records every sign-in (success and failure), admin
action and answer-page view; the board's names are not health-data views; rows are
hash-chained and a changed or removed row is detected (the CLI and the admin page);
admins search the audit by client, staff member and date."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from inscope_common.audit import entries, verify_chain
from inscope_common.auth import FRONT_DESK, SESSION_COOKIE
from tests.conftest import free_port, signer
from tests.services.conftest import staff

PASSWORD = "correct horse battery"


@pytest.fixture
def env(service_env):
    closed = f"http://127.0.0.1:{free_port()}"
    return {**service_env, "INTAKE_URL": closed, "NOTIFY_URL": closed}


@pytest.fixture
def hub(env):
    from inscope_referral import create_app

    app = create_app(env)
    yield app
    app.extensions["inscope"].engine.dispose()


@pytest.fixture
def rt(hub):
    return hub.extensions["inscope"]


def audit(app):
    rt = app.extensions["inscope"]
    return entries(rt.session_factory, app.extensions["inscope_audit"])


def sign_in(client, email, password):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token})  # fmt: skip


def csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"',
                     client.get(path).get_data(as_text=True)).group(1)  # fmt: skip


def test_sign_ins_sign_outs_and_admin_actions_are_recorded(hub, rt):
    from inscope_referral.identity.accounts import create_account

    admin = create_account(rt, "ada@example.com", "Ada Admin", "admin", PASSWORD)
    desk = create_account(rt, "robin@example.com", "Robin Desk", FRONT_DESK, PASSWORD)
    client = hub.test_client(role=None)
    assert sign_in(client, "ada@example.com", "wrong password").status_code == 401
    assert sign_in(client, "nobody@example.com", "wrong password").status_code == 401
    assert sign_in(client, "ada@example.com", PASSWORD).status_code == 303
    token = csrf(client, "/admin/accounts")
    client.post(f"/admin/accounts/{desk.id}/role", data={"role": "trainer", "csrf_token": token})
    client.post(f"/admin/accounts/{desk.id}/active", data={"active": "0", "csrf_token": token})
    client.post("/admin/tokens", data={"email": admin.email, "name": "backup job", "days": "3",
                                       "csrf_token": token})  # fmt: skip
    client.post("/admin/accounts/unlock", data={"email": "ada@example.com", "csrf_token": token})
    client.post("/logout", data={"csrf_token": token})
    rows = [(r["action"], r["account_id"], r["record"], r["detail"] or "") for r in audit(hub)]
    actions = [r[0] for r in rows]
    assert actions[:3] == ["sign_in_failed", "sign_in_failed", "sign_in"]
    assert rows[0][1] == admin.id and "invalid from" in rows[0][3]
    assert rows[1][1] == "unknown"
    assert rows[2][1] == admin.id and rows[2][3].startswith("from ")
    admin_rows = [r for r in rows if r[0] == "admin"]
    details = " | ".join(r[3] for r in admin_rows)
    assert all(r[1] == admin.id for r in admin_rows)
    for said in ("role of robin@example.com set to trainer", "stopped robin@example.com",
                 "issued 'backup job'", "unlocked ada@example.com"):
        assert said in details, details
    assert actions[-1] == "sign_out"
    assert verify_chain(rt.session_factory, hub.extensions["inscope_audit"]).ok


def test_a_changed_or_removed_row_breaks_the_chain_and_the_cli_says_where(hub, rt, env,
                                                                          monkeypatch):
    from inscope_referral.cli import cli

    model = hub.extensions["inscope_audit"]
    client = hub.test_client(role=None)
    for n in range(4):
        sign_in(client, f"someone{n}@example.com", "wrong password")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact: 4 rows" in ok.output
    with rt.session_factory() as session, session.begin():
        ids = session.scalars(select(model.id).order_by(model.id)).all()
        session.execute(update(model).where(model.id == ids[1])
                        .values(detail="nothing happened"))  # fmt: skip
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1 and f"BROKEN at row {ids[1]}" in broken.output
    assert "content was changed" in broken.output
    # Putting it back repairs it; removing a row breaks it at the next one.
    with rt.session_factory() as session, session.begin():
        session.execute(update(model).where(model.id == ids[1])
                        .values(detail="invalid from 127.0.0.1"))  # fmt: skip
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    with rt.session_factory() as session, session.begin():
        session.execute(delete(model).where(model.id == ids[2]))
    removed = runner.invoke(cli, ["audit", "verify"])
    assert removed.exit_code == 1 and f"BROKEN at row {ids[3]}" in removed.output
    assert "does not follow" in removed.output
    # The admin page says so too.
    page = admin_page(hub)
    assert 'id="chain" data-ok="0"' in page and f"broken at row {ids[3]}" in page


def admin_page(app, query=""):
    client = app.test_client(role=None)
    client.set_cookie(SESSION_COOKIE, signer(app).session_cookie(
        staff("admin")))  # fmt: skip
    response = client.get(f"/admin/audit{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_admins_search_the_audit_by_client_staff_and_date(intake_app, intake_body):
    from inscope_common.audit import Actor, record_view

    rt = intake_app.extensions["inscope"]
    model = intake_app.extensions["inscope_audit"]
    created = intake_app.test_client().post("/intakes", json=intake_body).get_json()
    other = intake_app.test_client().post("/intakes", json=intake_body).get_json()
    sam = Actor("acct-sam", "Sam Trainer", "trainer", "page")
    record_view(rt.session_factory, model, sam, "intake", created["id"], created["client_id"])
    page = admin_page(intake_app, f"?client={created['client_id']}")
    assert created["client_id"] in page and other["client_id"] not in page
    assert 'data-ok="1"' in page
    by_staff = admin_page(intake_app, "?staff=sam")
    assert "Sam Trainer" in by_staff and by_staff.count("data-audit=") == 1
    assert admin_page(intake_app, "?from=2000-01-01&to=2000-01-02").count("data-audit=") == 0
    assert admin_page(intake_app, "?from=2000-01-01").count("data-audit=") >= 3
    # Only admins.
    trainer = intake_app.test_client(role=None)
    trainer.set_cookie(SESSION_COOKIE, signer(intake_app).session_cookie(
        staff("trainer")))  # fmt: skip
    assert trainer.get("/admin/audit").status_code == 403


def test_the_boards_names_are_not_recorded_as_views_of_each_client(intake_app, intake_body):
    ids = [intake_app.test_client().post("/intakes", json=intake_body).get_json()["client_id"]
           for _ in range(3)]  # fmt: skip
    before = len(audit(intake_app))
    names = intake_app.test_client(role="front_desk").post(
        "/clients/names", json={"client_ids": ids}
    )
    assert names.status_code == 200 and len(names.get_json()["clients"]) == 3
    assert len(audit(intake_app)) == before  # no "view intake" per client
