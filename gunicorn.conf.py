"""gunicorn settings for the service: `gunicorn -c gunicorn.conf.py 'webapp:create_app()'`.

Every value is read from the environment with its default beside it. The hooks stay thin: the
logic lives in `webapp.runtime.lifecycle`, which knows nothing of gunicorn.
"""

import os
import signal
import time

from webapp.observability.gunicorn_logging import logconfig_dict as _logconfig_dict


def _number(name, default):
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else float(default)


# ---------------------------------------------------------------- server socket
# --bind on the command line overrides this.
bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
backlog = 2048

# ---------------------------------------------------------------- workers
# Processes; each runs JOB_WORKERS job threads beside its request threads.
workers = int(_number("WEB_CONCURRENCY", 2))
# gthread: request threads per process; the main loop keeps heartbeating while requests run.
worker_class = "gthread"
threads = int(_number("GUNICORN_THREADS", 8))
# Longer than a load balancer's idle timeout (AWS ALB 60 s), so the balancer closes first.
keepalive = int(_number("GUNICORN_KEEPALIVE", 75))

# ---------------------------------------------------------------- shutdown
# Running jobs get this long (seconds, from the first SIGTERM) to finish before a hand-back.
DRAIN_TIMEOUT_SECONDS = _number("DRAIN_TIMEOUT_SECONDS", 90)
# The master SIGKILLs workers this long after its SIGTERM: it must outlast the drain.
graceful_timeout = int(_number("GUNICORN_GRACEFUL_TIMEOUT", DRAIN_TIMEOUT_SECONDS + 10))
# A worker leaving on max_requests/HUP/--reload is killed after `timeout` (not graceful_timeout)
# once it stops heartbeating, which it does while draining; keep the two equal.
timeout = int(_number("GUNICORN_TIMEOUT", graceful_timeout))

# ---------------------------------------------------------------- logging
# gunicorn's own error log goes through the same JSON rendering as the service.
# The service writes one access line per request itself (see webapp.observability.access_log).
accesslog = None
logger_class = "webapp.observability.gunicorn_logging.ServiceLogger"
errorlog = "-"
logconfig_dict = _logconfig_dict()

# ---------------------------------------------------------------- control socket
# gunicorn 24+ opens a control socket at one per-user path by default, which two instances on
# one host would fight over; off unless GUNICORN_CONTROL_SOCKET names a path.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# ---------------------------------------------------------------- proxies
# Trust X-Forwarded-* from these addresses only (the load balancer); comma separated.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


# ---------------------------------------------------------------- hooks
def on_starting(server):
    """Remove a drain flag left by an earlier run of this instance (e.g. a restarted container);
    give the instance its own, empty prometheus-client multiprocess directory."""
    from webapp.observability.metrics import multiproc
    from webapp.runtime.lifecycle import clear_stale_drain_flag

    clear_stale_drain_flag(time.time())
    server.metrics_dir = multiproc.prepare()
    server.log.info(f"metrics directory {server.metrics_dir[0]}")


def child_exit(server, worker):
    """Drop the live-gauge files of a worker that exited."""
    from webapp.observability.metrics import multiproc

    multiproc.worker_gone(worker.pid)


def when_ready(server):
    """Warn when the timeouts cannot hold a full drain."""
    from webapp.runtime.lifecycle import check_shutdown_timeouts

    for problem in check_shutdown_timeouts(
        DRAIN_TIMEOUT_SECONDS,
        graceful_timeout=server.cfg.graceful_timeout,
        timeout=server.cfg.timeout,
    ):
        server.log.warning(problem)


def post_worker_init(worker):
    """Start taking jobs in this worker; on a stop signal stop taking them at once and drain.

    SIGTERM starts the drain (DRAIN_TIMEOUT_SECONDS); SIGINT/SIGQUIT (a quick shutdown, also the
    master's second signal) hand back what still runs at once. gunicorn's own handlers run after
    ours (they end the worker's loop, or exit at once for SIGINT/SIGQUIT).
    """
    from webapp.runtime import lifecycle

    app = worker.wsgi
    if not lifecycle.is_service_app(app):
        return  # another WSGI app under these settings (e.g. a benchmark baseline)
    lifecycle.start(app)

    def chain(signum, action):
        handler = signal.getsignal(signum)

        def on_signal(sig, frame):
            action(app)
            if callable(handler):
                handler(sig, frame)

        signal.signal(signum, on_signal)

    chain(signal.SIGTERM, lambda app: lifecycle.begin_shutdown(app, DRAIN_TIMEOUT_SECONDS))
    chain(signal.SIGINT, lifecycle.hurry_shutdown)
    chain(signal.SIGQUIT, lifecycle.hurry_shutdown)


def worker_abort(worker):
    """gunicorn's timeout (SIGABRT; SIGKILL follows within a second or so): hand back now."""
    from webapp.runtime import lifecycle

    app = getattr(worker, "wsgi", None)
    if lifecycle.is_service_app(app):
        lifecycle.hurry_shutdown(app)
        lifecycle.finish_process(app, 0.0, wait_s=0.8)


def worker_exit(server, worker):
    """Drain this worker's jobs; hand back stragglers so another process finishes them.

    A worker that leaves its loop without a signal (max_requests, --reload) starts its drain
    here, when it stops taking requests."""
    from webapp.runtime import lifecycle

    app = getattr(worker, "wsgi", None)
    if not lifecycle.is_service_app(app):
        return  # gunicorn also calls this hook in the master, for a worker already gone
    lifecycle.finish_process(app, DRAIN_TIMEOUT_SECONDS)


def on_exit(server):
    """Last word of the master."""
    from webapp.observability.metrics import multiproc

    multiproc.cleanup(*getattr(server, "metrics_dir", (None, False)))
    server.log.info("service stopped")
