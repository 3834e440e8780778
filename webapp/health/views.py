"""Health routes: /health touches nothing; /ready checks the dependencies."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from webapp.health import bp
from webapp.health.report import liveness_document, readiness_report

HEALTH_JSON = "application/health+json"


@bp.get("/health")
def health() -> Response:
    """Liveness: 200 while the process serves requests; no dependency is touched."""
    response = jsonify(liveness_document(current_app))
    response.content_type = HEALTH_JSON
    return response


@bp.get("/ready")
def ready() -> Response:
    """Readiness: 200 on pass/warn, 503 when a dependency fails or the instance drains."""
    document, http_status = readiness_report(current_app)
    response = jsonify(document)
    response.status_code = http_status
    response.content_type = HEALTH_JSON
    response.headers["Cache-Control"] = "no-store"
    return response
