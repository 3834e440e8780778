"""The operator dashboard at /admin/: server-rendered pages behind HTTP Basic auth.

Off unless ADMIN_PASSWORD is set (then /admin/ is not routed at all: 404). No JavaScript.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
)
