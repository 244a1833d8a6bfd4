"""flask-smorest set-up shared by the services."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def make_api(app: Flask, title: str) -> Api:
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH=None,
    )
    api = Api(app)
    api.spec.components.security_scheme("internalToken", {"type": "http", "scheme": "bearer"})
    return api
