"""``inscope-referral``: relay, dead letters, OpenAPI and staff accounts (the
``accounts`` group lives with the rest of staff identity, inscope_referral.identity.cli)."""

from __future__ import annotations

from inscope_common.cli import make_service_cli
from inscope_referral import create_app
from inscope_referral.identity.cli import accounts

cli = make_service_cli("referral", create_app)
cli.add_command(accounts)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
