"""The optimize API: submit a job, read its status, read its result."""

from flask import Blueprint

bp = Blueprint("optimize", __name__)

from webapp.optimize import views  # noqa: E402, F401  (routes register on bp)
