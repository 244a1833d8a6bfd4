"""``inscope-intake``: relay, dead letters and OpenAPI for the intake service."""

from inscope_common.cli import make_service_cli
from inscope_intake import create_app

cli = make_service_cli("intake", create_app)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
