"""The OpenAPI document."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate


def test_document_is_valid_openapi_3(client: FlaskClient) -> None:
    """GET /openapi.json serves a document that passes the OpenAPI 3 validator."""
    document = client.get("/openapi.json").json

    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_route_is_documented(app: Flask, client: FlaskClient) -> None:
    """Each route the app serves (but static files) appears in the document with its methods."""
    paths = client.get("/openapi.json").json["paths"]

    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        methods = {m.lower() for m in rule.methods or ()} - {"head", "options"}
        assert path in paths, f"{path} is not documented"
        assert methods <= paths[path].keys(), f"{path}: {methods} vs {paths[path].keys()}"


def test_request_schema_refuses_unknown_fields(client: FlaskClient) -> None:
    """The documented request schema matches validation: no additional properties."""
    schema = client.get("/openapi.json").json["components"]["schemas"]["OptimizeRequest"]

    assert schema["additionalProperties"] is False
    assert "required" not in schema  # players or slate_id: one of them, checked on load
