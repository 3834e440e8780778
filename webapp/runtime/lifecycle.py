"""Process lifecycle: start taking jobs, stop taking them, drain. Called by gunicorn's hooks.

Imports nothing from gunicorn, so it is tested without it. Two ways to drain:
- a worker stops (a signal, max_requests, a reload): `begin_shutdown` stops taking jobs at once
  and drains in a thread of its own, which a second signal only hurries (`hurry_shutdown`) and
  `worker_exit` waits for, so every way out of the process hands the stragglers back;
- the drain flag file (written by `python -m webapp.drain`, e.g. from a Kubernetes preStop hook):
  every worker of the instance stops taking jobs and answers /ready and POST with 503, while
  status and result reads keep working. Removing the file undoes it.
"""

from __future__ import annotations

import os
import threading
import time

import structlog
from flask import Flask

from webapp.config import get_settings
from webapp.extensions import Key
from webapp.jobs.extension import JOBS, get_jobs
from webapp.jobs.runner import JobRunner
from webapp.jobs.running import RunningJob
from webapp.runtime.gc_freeze import freeze_startup_objects
from webapp.runtime.paths import resolve

log = structlog.get_logger(__name__)


class DrainFlag:
    """A file whose existence puts every worker of the instance into draining."""

    # Looked up at most this often (seconds), so POST and /ready do not stat the file each time.
    CACHE_S = 0.25

    def __init__(self, path: str) -> None:
        self.path = resolve(path) if path else None
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._is_set = False

    def is_set(self) -> bool:
        """True while the flag file exists."""
        if self.path is None:
            return False
        now = time.monotonic()
        if now - self._checked_at >= self.CACHE_S:
            with self._lock:
                self._is_set = self.path.exists()
                self._checked_at = now
        return self._is_set

    def set(self) -> None:
        """Create the flag file."""
        if self.path is None:
            raise RuntimeError("DRAIN_FLAG_FILE is empty: instance-wide draining is off")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(f"{os.getpid()} {time.time():.0f}\n")

    def clear(self) -> None:
        """Remove the flag file."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def clear_if_older_than(self, started_at: float) -> bool:
        """Remove a flag file written before `started_at` (epoch seconds): a drain of an
        earlier run of the instance (a container restarted with its volume) must not keep the
        new one out of service. True when a stale flag was removed."""
        if self.path is None:
            return False
        try:
            stale = self.path.stat().st_mtime < started_at
        except FileNotFoundError:
            return False
        if stale:
            self.path.unlink(missing_ok=True)
        return stale


class Shutdown:
    """The drain of one process: begun once, hurried by a second signal, awaited at exit.

    The drain runs in a non-daemon thread, so an exit that a second signal forces (gunicorn's
    SIGINT/SIGQUIT handlers call sys.exit) still waits for it; once stragglers are handed back
    the thread ends the process itself (their executor threads are abandoned, and interpreter
    exit would wait for them).
    """

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def begin(self, budget_s: float) -> None:
        """Stop taking jobs now and drain for at most `budget_s` (idempotent)."""
        get_jobs(self._app).runner.stop_accepting()
        if not self._lock.acquire(blocking=False):
            return  # another begin() is under way (a signal arrived during this one)
        try:
            if self._thread is None:
                deadline = time.monotonic() + budget_s
                self._thread = threading.Thread(
                    target=self._drain, args=(deadline,), name="drain", daemon=False
                )
                self._thread.start()
        finally:
            self._lock.release()

    def hurry(self) -> None:
        """Hand back what still runs, now (signal-handler safe)."""
        self.begin(0.0)
        get_jobs(self._app).runner.hurry_drain()

    def wait(self, timeout_s: float | None = None) -> None:
        """Wait for the drain to end (it may end the process instead of returning)."""
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _drain(self, deadline: float) -> None:
        stragglers = drain(self._app, deadline)
        if stragglers:
            log.warning("process_exit_with_stragglers", handed_back=len(stragglers))
            _flush_logs()
            os._exit(0)


DRAIN_FLAG: Key[DrainFlag] = Key("webapp.drain_flag", "webapp.runtime.lifecycle.init_app")
SHUTDOWN: Key[Shutdown] = Key("webapp.shutdown", "webapp.runtime.lifecycle.init_app")


def init_app(app: Flask, runner: JobRunner) -> DrainFlag:
    """Register the drain flag and the process's shutdown; `runner` (the app's job runner)
    takes no job while the flag is set."""
    flag = DRAIN_FLAG.register(app, DrainFlag(get_settings(app).drain_flag_file))
    runner.pause_while(flag.is_set)
    SHUTDOWN.register(app, Shutdown(app))
    return flag


def clear_stale_drain_flag(started_at: float) -> None:
    """At instance start: remove a drain flag written before `started_at` (gunicorn on_starting);
    one written while this instance runs stays."""
    from webapp.config import ConfigError, Settings

    try:
        path = Settings.from_env(os.environ).drain_flag_file
    except ConfigError:
        return  # the workers report the configuration error
    if DrainFlag(path).clear_if_older_than(started_at):
        log.warning("drain_flag_cleared", path=path, reason="left by an earlier run")


def drain_flag(app: Flask) -> DrainFlag:
    """The app's drain flag."""
    return DRAIN_FLAG.lookup(app)


def is_service_app(app: object) -> bool:
    """True for an app built by create_app (gunicorn hooks see whatever WSGI object it loaded)."""
    return JOBS.find(app) is not None


def start(app: Flask) -> None:
    """Start this process's job runner (call after the fork, once the app is built)."""
    if get_settings(app).gc_freeze:
        freeze_startup_objects()
    get_jobs(app).runner.start()
    _start_presence(app)


def _start_presence(app: Flask) -> None:
    """Heartbeat this worker to Redis for the dashboard's list of instances and workers."""
    from webapp.jobs import presence

    jobs, settings = get_jobs(app), get_settings(app)
    instance = settings.service_id or jobs.runner.owner.rsplit(":", 1)[0]
    jobs.presence = presence.start(jobs.store, jobs.runner, instance)


def is_draining(app: Flask) -> bool:
    """True once this process stops taking jobs, or while the instance drain flag is set."""
    runner = get_jobs(app).runner
    return runner.was_stopped or drain_flag(app).is_set()


def drain(app: Flask, deadline: float) -> list[RunningJob]:
    """Wait for running jobs until `deadline` (monotonic), hand back the rest; return them."""
    runner = get_jobs(app).runner
    waiting = len(runner.running())
    log.info(
        "drain_started",
        running=waiting,
        timeout_s=round(max(deadline - time.monotonic(), 0), 1),
    )
    stragglers = runner.drain(deadline)
    log.info(
        "drain_finished",
        completed=waiting - len(stragglers),
        handed_back=len(stragglers),
    )
    return stragglers


def has_slate_store(app: Flask) -> bool:
    """True when Neo4j is configured, so requests without players can load their slate."""
    return bool(get_settings(app).neo4j_uri)


def begin_shutdown(app: Flask, budget_s: float) -> None:
    """Stop taking jobs at once and drain for at most `budget_s`, in the background."""
    SHUTDOWN.lookup(app).begin(budget_s)


def hurry_shutdown(app: Flask) -> None:
    """Hand back the running jobs now: a second signal, or gunicorn's timeout (SIGABRT)."""
    SHUTDOWN.lookup(app).hurry()


def finish_process(app: Flask, budget_s: float, *, wait_s: float | None = None) -> None:
    """Drain (begun now unless a signal began it), wait for it, then release the clients.

    Ends the process instead of returning when stragglers were handed back."""
    shutdown = SHUTDOWN.lookup(app)
    shutdown.begin(budget_s)
    shutdown.wait(wait_s)
    jobs = get_jobs(app)
    jobs.runner.shutdown(join_timeout_s=0)
    jobs.connections.close()
    from webapp.clients.neo4j_client import get_neo4j

    get_neo4j(app).close()


def check_shutdown_timeouts(
    drain_s: float, *, graceful_timeout: float, timeout: float
) -> list[str]:
    """Problems with gunicorn timeouts that would cut a drain short (empty when consistent)."""
    problems = []
    if graceful_timeout <= drain_s:
        problems.append(
            f"graceful_timeout ({graceful_timeout:g} s) should exceed DRAIN_TIMEOUT_SECONDS "
            f"({drain_s:g} s): the master SIGKILLs workers before their drain ends"
        )
    if timeout and timeout <= drain_s:
        problems.append(
            f"timeout ({timeout:g} s) is not above DRAIN_TIMEOUT_SECONDS ({drain_s:g} s): "
            "workers restarted by max_requests or HUP are killed before their drain ends"
        )
    return problems


def _flush_logs() -> None:
    import logging

    for handler in logging.getLogger().handlers:
        handler.flush()
