"""Dashboard routes: overview, job lists, a job page, the requeue / fail actions, and the API
keys with their revoke action."""

from __future__ import annotations

import re

import structlog
from flask import (
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from webapp.admin import bp, queries, security
from webapp.admin.lineups import lineup_views
from webapp.config import get_settings
from webapp.extensions import Key
from webapp.health.report import readiness_report
from webapp.jobs import admin, presence
from webapp.jobs.errors import TransitionRefusedError
from webapp.jobs.extension import get_jobs
from webapp.jobs.states import JobStatus
from webapp.jobs.store import JobStore
from webapp.tenants.api_keys import KEY_CACHE_S, TENANT_NAME, ApiKeys
from webapp.tenants.auth import get_auth

log = structlog.get_logger(__name__)

CSRF: Key[security.CsrfTokens] = Key("webapp.admin.csrf", "webapp.admin.views.init_app")
_RUN_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
_LISTED = [s for s in JobStatus if s is not JobStatus.EXPIRED]


def _store() -> JobStore:
    return get_jobs(current_app).store()


def _tokens() -> security.CsrfTokens:
    return CSRF.lookup(current_app)


def _api_keys() -> ApiKeys:
    """The key store `flask keys` uses: revoking through it holds as the command's revoke."""
    return get_auth(current_app).api_keys


def _run_id(raw: str) -> str:
    run_id = raw.upper()
    if not _RUN_ID.fullmatch(run_id):
        abort(404)
    return run_id


@bp.before_request
def _require_login() -> Response | None:
    if not security.is_authorized(get_settings(current_app).admin_password):
        return security.challenge()
    return None


bp.after_request(security.secure_headers)


@bp.get("/")
def overview() -> str:
    store = _store()
    report, _ = readiness_report(current_app)
    redis_checks = {k: v for k, v in report.get("checks", {}).items() if k.startswith("redis:")}
    return render_template(
        "admin/overview.html",
        stats=store.queue_stats(),
        running=queries.running_jobs(store),
        hour=queries.last_hour(store),
        workers=presence.read(store),
        redis_checks=redis_checks,
        ready_status=report.get("status"),
    )


@bp.get("/jobs")
def job_list() -> str:
    raw_status = request.args.get("status", "")
    status = JobStatus(raw_status) if raw_status in {s.value for s in _LISTED} else None
    query = request.args.get("q", "")[:64]
    number = request.args.get("page", 1, type=int) or 1
    page = queries.job_page(_store(), status, query, number)
    return render_template(
        "admin/jobs.html", page=page, status=status, query=query, statuses=_LISTED
    )


@bp.get("/jobs/<run_id>")
def job_detail(run_id: str) -> str:
    run_id = _run_id(run_id)
    store = _store()
    document = admin.show_job(store, run_id)
    _, result = store.get_result(run_id) if document["has_result"] else (None, None)
    return render_template(
        "admin/job.html",
        job=document,
        lineups=lineup_views(document.get("input") or {}, result),
        exposures=(result or {}).get("exposures") or {},
        csv_url=url_for("optimize.get_result_csv", run_id=run_id) if result else None,
        tokens={a: _tokens().issue(a, run_id) for a in ("requeue", "fail")},
        notice=request.args.get("done", "")[:80],
    )


@bp.post("/jobs/<run_id>/requeue")
def requeue(run_id: str) -> Response:
    """A failed job goes back to the queue; a running (stuck) one is handed back."""
    run_id = _checked_action("requeue", run_id)
    store = _store()
    status = store.get(run_id).status
    try:
        if status is JobStatus.FAILED:
            store.retry_failed(run_id)
        else:
            admin.requeue(store, run_id)
    except TransitionRefusedError as refused:
        return _acted(run_id, "requeue", f"refused: the job is {refused.current}", 409)
    return _acted(run_id, "requeue", f"requeued (was {status})")


@bp.post("/jobs/<run_id>/fail")
def fail(run_id: str) -> Response:
    """Fail a stuck running job with the operator's reason."""
    run_id = _checked_action("fail", run_id)
    reason = (request.form.get("reason") or "").strip()[:500] or "failed by an operator"
    try:
        admin.fail(_store(), run_id, f"operator: {reason}")
    except TransitionRefusedError as refused:
        return _acted(run_id, "fail", f"refused: the job is {refused.current}", 409)
    return _acted(run_id, "fail", "failed")


@bp.get("/keys")
def key_list() -> str:
    """Every API key's tenant, limits, created and last-used times (never the key or its hash)."""
    api_keys = _api_keys()
    infos = api_keys.list()
    revoked = request.args.get("revoked", "")
    return render_template(
        "admin/keys.html",
        keys=infos,
        defaults=api_keys.defaults,
        auth_mode=get_auth(current_app).mode,
        tokens={info.name: _tokens().issue("revoke_key", info.name) for info in infos},
        revoked=revoked if TENANT_NAME.fullmatch(revoked) else "",
        cache_s=KEY_CACHE_S,
    )


@bp.post("/keys/<name>/revoke")
def revoke_key(name: str) -> Response:
    """Revoke a tenant's key as `keys revoke` does: refused everywhere within KEY_CACHE_S."""
    if not TENANT_NAME.fullmatch(name):
        abort(404)
    if not _tokens().is_valid(request.form.get("csrf_token"), "revoke_key", name):
        log.warning("admin_action_refused", action="revoke_key", tenant=name, reason="csrf")
        abort(403, description="missing or invalid CSRF token: reload the keys page")
    if not _api_keys().revoke(name):
        return Response(f"tenant {name!r} has no key\n", 404, mimetype="text/plain")
    log.info("admin_key_revoked", tenant=name)
    return redirect(url_for("admin.key_list", revoked=name), code=303)


def _checked_action(action: str, raw_run_id: str) -> str:
    run_id = _run_id(raw_run_id)
    if not _tokens().is_valid(request.form.get("csrf_token"), action, run_id):
        log.warning("admin_action_refused", action=action, job_id=run_id, reason="csrf")
        abort(403, description="missing or invalid CSRF token: reload the job page")
    return run_id


def _acted(run_id: str, action: str, outcome: str, status: int = 303) -> Response:
    log.info(
        "admin_action",
        action=action,
        job_id=run_id,
        outcome=outcome,
        operator=security.USER,
        remote_addr=request.remote_addr,
    )
    target = url_for("admin.job_detail", run_id=run_id, done=outcome)
    if status == 303:
        return redirect(target, code=303)
    return Response(f"{outcome}\n", status, mimetype="text/plain")


def init_app(app: Flask) -> None:
    """Serve the dashboard (call only when ADMIN_PASSWORD is set)."""
    password = get_settings(app).admin_password
    CSRF.register(app, security.CsrfTokens(password))
    app.register_blueprint(bp)
