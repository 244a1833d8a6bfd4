"""Staff accounts: who may sign in, with which role (the referral service is the staff
hub, so accounts live here; every service verifies the signed credentials on its own).

Passwords are hashed with argon2id (argon2-cffi's defaults). Failed sign-ins are kept in
the database and limit attempts per account and per address (docs/accounts-and-security.md).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from inscope_clinical.journey import Text, Words
from inscope_common.auth import ADMIN, API_TOKEN_TTL_S, ROLES, SESSION_TTL_S, Credentials, Principal
from inscope_common.db import utcnow
from inscope_common.revocation import Revocation as RevocationEntry
from inscope_common.revocation import RevocationList, account_key, credential_key, publish
from inscope_common.runtime import Runtime
from inscope_common.web import CODE_WORDS, N_
from inscope_referral.identity.passwords import MIN_PASSWORD as MIN_PASSWORD  # the page states it
from inscope_referral.identity.passwords import password_problem
from inscope_referral.models import Account, ApiToken, LoginFailure, Revocation

# Sign-in limits (docs/accounts-and-security.md, "Sign-in limits"): per account AND
# address, a few free mistakes, then a delay that doubles with each further failure up to
# a ceiling; a typo from one desk never locks the same account at another desk. Apart
# from that, one address guessing across many accounts is stopped after ADDRESS_LIMIT
# failures in ADDRESS_WINDOW (high enough for a clinic's staff behind one address).
FREE_FAILURES = 3
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
FAILURE_MEMORY = timedelta(hours=24)
ADDRESS_LIMIT = 20
ADDRESS_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()
# Checked when the email is unknown, so an unknown and a known account take as long.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    """The account cannot be created as asked. ``str()`` is the English (the CLI's);
    ``text`` the same refusal as a msgid and values, which a page says in its language
    (``staff_say``)."""

    def __init__(self, text: Text | str) -> None:
        super().__init__(str(text))
        self.text = text


def _roles() -> Words:
    return Words(*(Text(CODE_WORDS[r]) for r in ROLES), sep=", ")


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt."""

    principal: Principal | None
    refused: str = ""  # "" when signed in; "throttled" or "invalid" otherwise
    retry_after_s: int = 0  # when throttled: how long until the next attempt counts
    account_id: str = ""  # the account the email names, when there is one (the audit)


def lockout_delay(failures: int) -> timedelta:
    """How long an account+address pair waits after its n-th recent failure."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_DELAY * (2 ** (failures - FREE_FAILURES)), MAX_DELAY)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_account(rt: Runtime, email: str, name: str, role: str, password: str) -> Account:
    email, name = normalise_email(email), name.strip()
    if role not in ROLES:
        raise AccountError(Text(N_("role must be one of %(roles)s"), roles=_roles()))
    if "@" not in email or len(email) > 320:
        raise AccountError(Text(N_("give a valid email address")))
    if not name or len(name) > 200:
        raise AccountError(Text(N_("give a name (200 characters at most)")))
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)
    with rt.session_factory() as session, session.begin():
        if session.scalar(select(Account).where(Account.email == email)) is not None:
            raise AccountError(Text(N_("an account for %(email)s exists already"), email=email))
        account = Account(email=email, name=name, role=role, password_hash=_hasher.hash(password))
        session.add(account)
    return account


def reset_password(rt: Runtime, email: str, password: str) -> Account:
    """Give an account a new password, clear its failed sign-ins, and let it sign in
    again if it was stopped by nothing but a lost password (it stays stopped if an
    admin stopped it: reactivate is a separate decision)."""
    email = normalise_email(email)
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)
    with rt.session_factory() as session, session.begin():
        account = session.scalar(select(Account).where(Account.email == email))
        if account is None:
            raise AccountError(Text(N_("no account %(email)s"), email=email))
        account.password_hash = _hasher.hash(password)
        session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    # Whoever knew the old password may hold a session: a new password ends them all.
    revoke_account(rt, account.id, "password reset")
    return account


def has_password(rt: Runtime, email: str, password: str) -> bool:
    """Whether the account still has this password (the demo admin's, say)."""
    account = find_account(rt, email)
    return account is not None and _verify(account.password_hash, password)


def find_account(rt: Runtime, email: str) -> Account | None:
    with rt.session_factory() as session:
        return session.scalar(select(Account).where(Account.email == normalise_email(email)))


def has_admin(rt: Runtime) -> bool:
    with rt.session_factory() as session:
        return (
            session.scalar(select(Account.id).where(Account.role == "admin").limit(1)) is not None
        )


def principal_of(account: Account) -> Principal:
    return Principal(account.id, account.name, account.role)


def enroll_totp(rt: Runtime, email: str) -> tuple[str, str]:
    """Give an account a new TOTP secret; returns it and its otpauth:// URI (for an
    authenticator app's QR code). From then on the account signs in with a code."""
    secret = pyotp.random_base32()
    with rt.session_factory() as session, session.begin():
        account = session.scalar(select(Account).where(Account.email == normalise_email(email)))
        if account is None:
            raise AccountError(Text(N_("no account %(email)s"), email=email))
        account.totp_secret, account.totp_last_step = secret, None
        uri = pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name="InScope")
    return secret, uri


def disable_totp(rt: Runtime, email: str) -> None:
    with rt.session_factory() as session, session.begin():
        account = session.scalar(select(Account).where(Account.email == normalise_email(email)))
        if account is None:
            raise AccountError(Text(N_("no account %(email)s"), email=email))
        account.totp_secret, account.totp_last_step = None, None


def _code_ok(account: Account, code: str) -> bool:
    """The account's current TOTP code (one step either side for clock drift), not
    used before. Accounts without TOTP need none."""
    if not account.totp_secret:
        return True
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(account.totp_secret)
    now = time.time()
    for drift in (0, -1, 1):
        at = now + drift * totp.interval
        step = int(at // totp.interval)
        if totp.verify(code, for_time=at) and step > (account.totp_last_step or -1):
            account.totp_last_step = step
            return True
    return False


def sign_in(
    rt: Runtime, email: str, password: str, address: str, code: str = ""
) -> SignIn:
    """Check a password, unless this account+address pair must still wait (its recent
    failures: a growing delay) or this address has failed too often on any account.

    A stopped account costs the same hash check as an active or unknown one, and answers
    the same "invalid", so neither timing nor wording tells them apart."""
    email = normalise_email(email)
    address = address[:64]
    now = utcnow()
    with rt.session_factory() as session, session.begin():
        wait = _wait(session, email, address, now)
        if wait > timedelta(0):
            return SignIn(None, "throttled", max(1, int(wait.total_seconds() + 0.999)))
        account = session.scalar(select(Account).where(Account.email == email))
        matches = _verify(account.password_hash if account else _DUMMY_HASH, password)
        if (
            account is not None and account.active and matches and account.role == ADMIN
            and not account.totp_secret and getattr(rt.settings, "admin_totp_required", False)
        ):
            # The right password, but admins need a second factor they do not have yet.
            return SignIn(None, "totp_required", account_id=account.id)
        if account is not None and account.active and matches and _code_ok(account, code):
            if _hasher.check_needs_rehash(account.password_hash):
                account.password_hash = _hasher.hash(password)
            account.last_sign_in_at = now
            # A success forgets this pair's mistakes (not those from other addresses).
            session.execute(
                delete(LoginFailure).where(
                    LoginFailure.email == email, LoginFailure.address == address
                )
            )
            return SignIn(principal_of(account))
        session.add(LoginFailure(email=email[:320], address=address, at=now))
        return SignIn(None, "invalid", account_id=account.id if account else "")


def _wait(session: Any, email: str, address: str, now: datetime) -> timedelta:
    by_pair = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            LoginFailure.email == email,
            LoginFailure.address == address,
            LoginFailure.at > now - FAILURE_MEMORY,
        )
    ).one()
    wait = timedelta(0)
    if by_pair[0]:
        wait = by_pair[1] + lockout_delay(by_pair[0]) - now
    by_address = session.execute(
        select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.address == address, LoginFailure.at > now - ADDRESS_WINDOW
        )
    ).one()
    if by_address[0] >= ADDRESS_LIMIT:
        wait = max(wait, by_address[1] + ADDRESS_WINDOW - now)
    return wait


@dataclass(frozen=True)
class Lockout:
    """An account+address pair with recent failures, as the admin page lists it."""

    email: str
    address: str
    failures: int
    last_at: datetime
    locked_until: datetime | None


def lockouts(rt: Runtime) -> list[Lockout]:
    now = utcnow()
    with rt.session_factory() as session:
        rows = session.execute(
            select(
                LoginFailure.email, LoginFailure.address, func.count(), func.max(LoginFailure.at)
            )
            .where(LoginFailure.at > now - FAILURE_MEMORY)
            .group_by(LoginFailure.email, LoginFailure.address)
            .order_by(func.max(LoginFailure.at).desc())
        ).all()
    found = []
    for email, address, count, last in rows:
        until = last + lockout_delay(count)
        found.append(Lockout(email, address, count, last, until if until > now else None))
    return found


def unlock(rt: Runtime, email: str = "", address: str = "") -> int:
    """An admin clears failed sign-ins: of one account (from every address, or one), or
    of one address. Returns how many were cleared."""
    email = normalise_email(email)
    if not email and not address:
        raise AccountError(Text(N_("name an account or an address to unlock")))
    query = delete(LoginFailure)
    if email:
        query = query.where(LoginFailure.email == email)
    if address:
        query = query.where(LoginFailure.address == address[:64])
    with rt.session_factory() as session, session.begin():
        return session.execute(query).rowcount or 0


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# --- Revocation (inscope_common.revocation) -------------------------------------------


# An account-wide entry must outlive every credential issued before it.
def _longest_life_s(rt: Runtime) -> float:
    return max(SESSION_TTL_S, rt.settings.api_token_max_days * 86400, API_TOKEN_TTL_S)


def revoke_credential(rt: Runtime, credential_id: str, until: float, reason: str) -> None:
    """End one session (sign-out) or one API token, everywhere, now."""
    if not credential_id:
        return
    key = credential_key(credential_id)
    with rt.session_factory() as session, session.begin():
        session.merge(Revocation(key=key, until=until, reason=reason[:40], at=utcnow()))
    _changed(rt)


def revoke_account(rt: Runtime, account_id: str, reason: str) -> None:
    """End every session and token an account holds, now (stopped, new role, new
    password). Credentials issued after this moment are not affected."""
    now = time.time()
    key = account_key(account_id)
    with rt.session_factory() as session, session.begin():
        session.merge(
            Revocation(
                key=key,
                before=now,
                until=now + _longest_life_s(rt),
                reason=reason[:40],
                at=utcnow(),
            )
        )
    _changed(rt)


def current_revocations(rt: Runtime) -> dict[str, RevocationEntry]:
    """The unexpired entries, from this service's database (the source of truth)."""
    now = time.time()
    with rt.session_factory() as session:
        rows = session.scalars(select(Revocation).where(Revocation.until > now)).all()
        return {r.key: RevocationEntry(r.key, r.until, r.before) for r in rows}


def publish_revocations(rt: Runtime) -> bool:
    """Copy the list to the broker, where the other services read it; drop old rows."""
    with rt.session_factory() as session, session.begin():
        session.execute(delete(Revocation).where(Revocation.until <= time.time()))
    return publish(rt.settings.redis_url, current_revocations(rt))


def _changed(rt: Runtime) -> None:
    publish_revocations(rt)
    revocations = _revocation_list()
    if revocations is not None:
        revocations.refresh()


def _revocation_list() -> RevocationList | None:
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    credentials = current_app.extensions.get("inscope_auth")
    return getattr(credentials, "revocations", None)


# --- API tokens -------------------------------------------------------------------------


def issue_token(
    rt: Runtime,
    credentials: Credentials,
    account: Account,
    name: str,
    days: float,
    created_by: str,
) -> tuple[ApiToken, str]:
    """A named API token for an active account, expiring within the configured maximum
    (INSCOPE_API_TOKEN_MAX_DAYS). Returns the record and the token (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AccountError(Text(N_("name the token (what uses it), 100 characters at most")))
    limit = rt.settings.api_token_max_days
    if not 0 < days <= limit:
        raise AccountError(Text(N_("a token lives more than 0 and at most %(days)s days"),
                                days=f"{limit:g}"))
    if not account.active:
        raise AccountError(Text(N_("%(email)s is stopped"), email=account.email))
    token_id = _new_token_id()
    ttl_s = int(days * 86400)
    record = ApiToken(
        id=token_id,
        account_id=account.id,
        name=name,
        created_at=utcnow(),
        expires_at=utcnow() + timedelta(seconds=ttl_s),
        created_by=created_by[:200],
    )
    with rt.session_factory() as session, session.begin():
        session.add(record)
    return record, credentials.api_token(principal_of(account), ttl_s=ttl_s, token_id=token_id)


def list_tokens(rt: Runtime, include_old: bool = False) -> list[tuple[ApiToken, Account]]:
    with rt.session_factory() as session:
        query = select(ApiToken, Account).join(Account, Account.id == ApiToken.account_id)
        if not include_old:
            query = query.where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
        rows = session.execute(query.order_by(ApiToken.created_at.desc())).all()
        return [(t, a) for t, a in rows]


def _new_token_id() -> str:
    """A new API token's id. Never one that starts with "-": `accounts revoke-token`
    would read it as an option and refuse it."""
    token_id = secrets.token_urlsafe(16)
    return "_" + token_id[1:] if token_id.startswith("-") else token_id


def revoke_token(rt: Runtime, token_id: str, revoked_by: str) -> ApiToken | None:
    with rt.session_factory() as session, session.begin():
        record = session.get(ApiToken, token_id)
        if record is None:
            return None
        if record.revoked_at is None:
            record.revoked_at = utcnow()
            record.revoked_by = revoked_by[:200]
        until = record.expires_at.timestamp()
    revoke_credential(rt, token_id, until, "token revoked")
    return record


def list_accounts(rt: Runtime) -> list[Account]:
    with rt.session_factory() as session:
        return list(session.scalars(select(Account).order_by(Account.role, Account.email)))


def set_active(rt: Runtime, account_id: str, active: bool) -> Account | None:
    """Let an account sign in again, or stop it: stopping ends every session and token
    it holds at once, in every service."""
    with rt.session_factory() as session, session.begin():
        account = session.get(Account, account_id)
        if account is not None:
            account.active = active
    if account is not None and not active:
        revoke_account(rt, account_id, "account stopped")
    return account


def set_profile(
    rt: Runtime,
    account_id: str,
    *,
    name: str | None = None,
    credential: str | None = None,
    registration: str | None = None,
) -> Account | None:
    """The staff profile letters and emails are signed with: name, credential (e.g.
    "NASM Certified Personal Trainer, CES") and registration number. ``None`` leaves a
    field as it is; an empty string clears the credential or registration."""
    with rt.session_factory() as session, session.begin():
        account = session.get(Account, account_id)
        if account is None:
            return None
        if name is not None:
            if not name.strip():
                raise AccountError(Text(N_("the name must not be empty")))
            account.name = name.strip()[:200]
        if credential is not None:
            account.credential = credential.strip()[:300] or None
        if registration is not None:
            account.registration = registration.strip()[:120] or None
    return account


def signer_profile(
    session: Any, account_id: str | None = None, email: str | None = None
) -> dict[str, Any] | None:
    """The profile a letter is signed with, for ``referral.decided`` (None: no such
    account, or it has no credential to sign with)."""
    account = None
    if account_id:
        account = session.get(Account, account_id)
    elif email:
        account = session.scalars(
            select(Account).where(func.lower(Account.email) == email.strip().lower())
        ).first()
    if account is None or not account.active:
        return None
    return {
        "account_id": account.id,
        "name": account.name,
        "credential": account.credential,
        "registration": account.registration,
    }


def set_role(rt: Runtime, account_id: str, role: str) -> Account | None:
    """Give an account another role; its sessions and tokens (which name the old role)
    end at once, so the staff member signs in again with the new one."""
    if role not in ROLES:
        raise AccountError(Text(N_("role must be one of %(roles)s"), roles=_roles()))
    with rt.session_factory() as session, session.begin():
        account = session.get(Account, account_id)
        if account is None:
            return None
        changed = account.role != role
        account.role = role
    if changed:
        revoke_account(rt, account_id, "role changed")
    return account
