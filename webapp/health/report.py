"""Builds the health documents (draft-inadarei-api-health-check format)."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from flask import Flask

from webapp.clock import now_iso
from webapp.config import get_settings
from webapp.health.checks import Check, worst
from webapp.health.probes import get_probes
from webapp.runtime import lifecycle

VERSION = "0.1.0"
# Process start, for uptime (set when this module is first imported in the process).
_STARTED = time.monotonic()


def service_id(app: Flask) -> str:
    """This instance: SERVICE_ID, or host and pid."""
    return get_settings(app).service_id or f"{socket.gethostname()}:{os.getpid()}"


def liveness_document(app: Flask) -> dict[str, Any]:
    """The /health body."""
    return {
        "status": "pass",
        "version": VERSION,
        "serviceId": service_id(app),
        "time": now_iso(),
        "uptimeSeconds": round(time.monotonic() - _STARTED, 3),
    }


def readiness_report(app: Flask) -> tuple[dict[str, Any], int]:
    """The /ready body and its HTTP status."""
    checks: dict[str, list[Check]] = get_probes(app).run()
    draining = lifecycle.is_draining(app)
    status = worst(entry.status for entries in checks.values() for entry in entries)
    if draining:
        status = "fail"
    document: dict[str, Any] = {
        "status": status,
        "version": VERSION,
        "releaseId": get_settings(app).release_id or None,
        "serviceId": service_id(app),
        "time": now_iso(),
        "lifecycle": "draining" if draining else "ready",
        "authMode": get_settings(app).auth_mode,
        "checks": {
            name: [entry.to_dict() for entry in entries] for name, entries in checks.items()
        },
    }
    if draining:
        document["output"] = "draining: this instance takes no new jobs"
    return document, 503 if status == "fail" else 200
