"""Staff identity, in one place: accounts, sign-in, sessions and tokens.

The referral service is the identity owner (inscope_common.keys.IDENTITY_OWNER): the
only service that holds INSCOPE_STAFF_TOKEN_PRIVATE_KEY and signs staff sessions and API
tokens; every service verifies them with the public key (inscope_common.auth). Here:

- ``accounts``: accounts, roles, profiles, passwords (argon2id), TOTP, sign-in with its
  lockout, API tokens, and the revocation list copied to Redis;
- ``passwords``: the password policy and the shipped list of common passwords;
- ``pages``: ``/login``, ``/logout`` and the admins' ``/admin/accounts`` page (tokens,
  lockouts, roles, profiles, stopping an account);
- ``cli``: ``inscope-referral accounts ...``.

The tables (``accounts``, ``api_tokens``, ``login_failures``, ``revocations``) are in the
referral service's database, declared in inscope_referral.models with its other tables
and migrated with them. Why a package and not a fifth service:
docs/accounts-and-security.md, "Where identity lives".
"""
