"""Liveness (/health) and readiness (/ready) for orchestrators and load balancers."""

from flask import Blueprint

bp = Blueprint("health", __name__)

from webapp.health import views  # noqa: E402, F401  (routes register on bp)
