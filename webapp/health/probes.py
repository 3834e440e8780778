"""Runs the readiness checks concurrently, bounded in time, one in flight per dependency, cached.

A check that hangs keeps its thread, but the next probe waits on that same in-flight check
instead of starting another, so a probe storm against a hung dependency never piles up threads
or connections. Fresh results are served from a short cache so probes do not hammer Redis/Neo4j.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from flask import Flask

from webapp.extensions import Key
from webapp.health.checks import Check, Checks, failing
from webapp.redaction import redact


@dataclass
class Probe:
    """One dependency's check: what it runs, its measurement names, and its last outcome."""

    name: str
    component_type: str
    measurements: tuple[str, ...]
    run: Callable[[], Checks]
    cacheable: bool = True
    in_flight: Future[Checks] | None = None
    cached: Checks | None = None
    cached_at: float = float("-inf")


class Probes:
    """The readiness checks of one app."""

    def __init__(self, timeout_s: float, cache_s: float) -> None:
        self.timeout_s = timeout_s
        self.cache_s = cache_s
        self._probes: list[Probe] = []
        self._lock = threading.Lock()

    def add(
        self,
        name: str,
        component_type: str,
        measurements: tuple[str, ...],
        run: Callable[[], Checks],
        *,
        cacheable: bool = True,
    ) -> None:
        """Register a check; `measurements` name the entries it fails when it times out."""
        self._probes.append(Probe(name, component_type, measurements, run, cacheable))

    def run(self) -> Checks:
        """Every check's entries, within about `timeout_s` however the dependencies behave."""
        deadline = time.monotonic() + self.timeout_s
        futures = [(probe, self._future_for(probe)) for probe in self._probes]
        checks: Checks = {}
        for probe, future in futures:
            checks.update(self._collect(probe, future, deadline))
        return checks

    def _future_for(self, probe: Probe) -> Future[Checks]:
        with self._lock:
            fresh = time.monotonic() - probe.cached_at < self.cache_s
            if probe.cacheable and fresh and probe.cached is not None:
                done: Future[Checks] = Future()
                done.set_result(probe.cached)
                return done
            if probe.in_flight is None or probe.in_flight.done():
                probe.in_flight = self._start(probe)
            return probe.in_flight

    def _start(self, probe: Probe) -> Future[Checks]:
        future: Future[Checks] = Future()

        def target() -> None:
            try:
                result = probe.run()
            except Exception as error:  # a check must never take the probe down
                output = f"check error: {redact(error)}"
                result = failing(probe.component_type, probe.measurements, output)
            with self._lock:
                probe.cached, probe.cached_at = result, time.monotonic()
            future.set_result(result)

        threading.Thread(target=target, name=f"ready-{probe.name}", daemon=True).start()
        return future

    def _collect(self, probe: Probe, future: Future[Checks], deadline: float) -> Checks:
        try:
            return future.result(timeout=max(deadline - time.monotonic(), 0.0))
        except TimeoutError:
            output = f"no answer within {self.timeout_s:g} s"
            return {
                name: [Check(probe.component_type, status="fail", output=output)]
                for name in probe.measurements
            }


PROBES: Key[Probes] = Key("webapp.probes", "webapp.health.registry.register_checks")


def init_app(app: Flask, probes: Probes) -> Probes:
    """Register the app's readiness checks."""
    return PROBES.register(app, probes)


def get_probes(app: Flask) -> Probes:
    """The app's readiness checks."""
    return PROBES.lookup(app)
