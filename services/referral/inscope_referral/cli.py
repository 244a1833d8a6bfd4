"""``inscope-referral``: relay, dead letters and OpenAPI for the referral service."""

from inscope_common.cli import make_service_cli
from inscope_referral import create_app

cli = make_service_cli("referral", create_app)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
