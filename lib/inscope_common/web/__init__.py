"""What the services' pages share: one stylesheet and the form macros, served and
loaded by every service that renders pages (services never import one another)."""

from __future__ import annotations

from flask import Blueprint, Flask
from jinja2 import ChoiceLoader, PackageLoader

ASSETS = "inscope_web"


def init_shared_web(app: Flask) -> None:
    """Serve the shared assets at /shared-static/ (endpoint ``inscope_web.static``) and
    let the app's templates import the shared ones (e.g. ``macros.html``)."""
    app.register_blueprint(
        Blueprint(ASSETS, __name__, static_folder="static", static_url_path="/shared-static")
    )
    app.jinja_loader = ChoiceLoader(
        [app.jinja_loader, PackageLoader("inscope_common.web", "templates")]
    )
    from inscope_common.web.dead_letters import bp as dead_letters

    app.register_blueprint(dead_letters)
