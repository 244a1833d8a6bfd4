"""``inscope-assessment``: relay, dead letters and OpenAPI for the assessment service."""

from inscope_assessment import create_app
from inscope_common.cli import make_service_cli

cli = make_service_cli("assessment", create_app)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
