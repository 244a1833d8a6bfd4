"""Answer tokens: signed, expiring, bound to one referral and its nonce."""

from __future__ import annotations

import time

import pytest

from inscope_referral.tokens import AnswerClaim, AnswerTokens, TokenExpired, TokenInvalid

DAY = 86400


def tokens(secret="s3cret", max_age=30 * DAY, clock=time.time):
    return AnswerTokens(secret, max_age, clock=clock)


def test_a_token_names_its_referral_and_nonce():
    t = tokens()
    assert t.read(t.issue("ref-A", "nonce-A")) == AnswerClaim("ref-A", "nonce-A")


def test_a_token_expires_after_its_max_age():
    issued_at = time.time() - 31 * DAY
    token = tokens().issue("ref-A", "n", clock=lambda: issued_at)
    with pytest.raises(TokenExpired):
        tokens().read(token)
    # ...but not a second before.
    assert tokens(clock=lambda: issued_at + 30 * DAY).read(token).referral_id == "ref-A"


def test_a_tampered_token_is_invalid():
    token = tokens().issue("ref-A", "n")
    payload, rest = token.split(".", 1)
    flipped = "A" if payload[-1] != "A" else "B"
    for bad in (payload[:-1] + flipped + "." + rest, token[:-2], "", "not-a-token", token + "x"):
        with pytest.raises(TokenInvalid):
            tokens().read(bad)


def test_a_token_signed_with_another_secret_is_invalid():
    with pytest.raises(TokenInvalid):
        tokens().read(tokens(secret="other").issue("ref-A", "n"))


def test_the_form_key_is_bound_to_the_token_and_the_secret():
    t = tokens()
    a, b = t.issue("ref-A", "n"), t.issue("ref-B", "n")
    assert t.form_key_matches(a, t.form_key(a))
    assert not t.form_key_matches(a, t.form_key(b))
    assert not t.form_key_matches(a, tokens(secret="other").form_key(a))
    assert not t.form_key_matches(a, "")
