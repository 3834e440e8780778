"""The HTTP API: submit a job, read its status and result; JSON errors, the OpenAPI document."""

from flask import Blueprint

bp = Blueprint("optimize", __name__)

from webapp.api import contest_views, views  # noqa: E402, F401  (routes register on bp)
