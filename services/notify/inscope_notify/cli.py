"""``inscope-notify``: relay, dead letters and OpenAPI for the notify service."""

from inscope_common.cli import make_service_cli
from inscope_notify import create_app

cli = make_service_cli("notify", create_app)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
