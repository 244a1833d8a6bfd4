"""Staff accounts: who may sign in, with which role (the referral service is the staff
hub, so accounts live here; every service verifies the signed credentials on its own).

Passwords are hashed with argon2id (argon2-cffi's defaults). Failed sign-ins are kept in
the database and limit attempts per account and per address (docs/accounts-and-security.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from inscope_common.auth import ROLES, Principal
from inscope_common.db import utcnow
from inscope_common.runtime import Runtime
from inscope_referral.models import Account, LoginFailure
from inscope_referral.passwords import MIN_PASSWORD as MIN_PASSWORD  # the page states it
from inscope_referral.passwords import password_problem

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()
# Checked when the email is unknown, so an unknown and a known account take as long.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    """The account cannot be created as asked."""


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt."""

    principal: Principal | None
    refused: str = ""  # "" when signed in; "throttled" or "invalid" otherwise


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_account(rt: Runtime, email: str, name: str, role: str, password: str) -> Account:
    email, name = normalise_email(email), name.strip()
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if "@" not in email or len(email) > 320:
        raise AccountError("give a valid email address")
    if not name or len(name) > 200:
        raise AccountError("give a name (200 characters at most)")
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)
    with rt.session_factory() as session, session.begin():
        if session.scalar(select(Account).where(Account.email == email)) is not None:
            raise AccountError(f"an account for {email} exists already")
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
            raise AccountError(f"no account {email}")
        account.password_hash = _hasher.hash(password)
        session.execute(delete(LoginFailure).where(LoginFailure.email == email))
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


def sign_in(rt: Runtime, email: str, password: str, address: str) -> SignIn:
    """Check a password, unless too many recent failures for this account or address."""
    email = normalise_email(email)
    now = utcnow()
    with rt.session_factory() as session, session.begin():
        since = now - FAILURE_WINDOW
        by_account = session.scalar(
            select(func.count()).where(LoginFailure.email == email, LoginFailure.at > since)
        )
        by_address = session.scalar(
            select(func.count()).where(LoginFailure.address == address, LoginFailure.at > since)
        )
        if by_account >= MAX_FAILURES or by_address >= MAX_FAILURES:
            return SignIn(None, "throttled")
        account = session.scalar(select(Account).where(Account.email == email))
        if account is not None and account.active and _verify(account.password_hash, password):
            if _hasher.check_needs_rehash(account.password_hash):
                account.password_hash = _hasher.hash(password)
            account.last_sign_in_at = now
            return SignIn(principal_of(account))
        if account is None:
            _verify(_DUMMY_HASH, password)
        session.add(LoginFailure(email=email[:320], address=address[:64], at=now))
        return SignIn(None, "invalid")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def list_accounts(rt: Runtime) -> list[Account]:
    with rt.session_factory() as session:
        return list(session.scalars(select(Account).order_by(Account.role, Account.email)))


def set_active(rt: Runtime, account_id: str, active: bool) -> Account | None:
    """Let an account sign in again, or stop it (tokens already issued run to expiry)."""
    with rt.session_factory() as session, session.begin():
        account = session.get(Account, account_id)
        if account is not None:
            account.active = active
        return account
