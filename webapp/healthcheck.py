"""Container health check without curl: `python -m webapp.healthcheck [URL] [--timeout S]`.

GETs /health (touches no dependency, like /health itself), prints what it saw on one line and
exits 0 when the answer is 200 within the timeout, 1 otherwise. The URL defaults to
http://127.0.0.1:$PORT/health (PORT defaults to 8000).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Probe:
    """What one GET saw: the status (None without an answer), what it said, how long it took."""

    url: str
    status: int | None
    detail: str
    elapsed_ms: float

    @property
    def healthy(self) -> bool:
        return self.status == 200

    def describe(self) -> str:
        """One line for the operator (and `docker inspect`)."""
        verdict = "healthy" if self.healthy else "unhealthy"
        answer = f"HTTP {self.status}" if self.status is not None else "no answer"
        return f"{verdict}: GET {self.url} -> {answer} in {self.elapsed_ms:.0f} ms ({self.detail})"


def probe(url: str, timeout_s: float = TIMEOUT_S) -> Probe:
    """GET `url` once within `timeout_s`."""
    started = time.perf_counter()

    def done(status: int | None, detail: str) -> Probe:
        return Probe(url, status, detail, (time.perf_counter() - started) * 1000)

    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return done(response.status, _body_excerpt(response.read(200)))
    except urllib.error.HTTPError as error:
        return done(error.code, _body_excerpt(error.read(200)))
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return done(None, str(reason) or type(reason).__name__)


def check(url: str, timeout_s: float = TIMEOUT_S) -> bool:
    """True when `url` answers 200 within `timeout_s`."""
    return probe(url, timeout_s).healthy


def _body_excerpt(body: bytes) -> str:
    text = body.decode(errors="replace").strip().replace("\n", " ")
    return text[:120] or "empty body"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m webapp.healthcheck",
        description="GET the service's /health; exit 0 on 200, 1 otherwise. Prints what it saw.",
    )
    parser.add_argument(
        "url",
        nargs="?",
        default=None,
        help="default: http://127.0.0.1:$PORT/health (PORT defaults to 8000)",
    )
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds (default 2)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status for Docker's HEALTHCHECK."""
    args = _parser().parse_args(argv)
    url = args.url or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health"
    seen = probe(url, args.timeout)
    (sys.stdout if seen.healthy else sys.stderr).write(seen.describe() + "\n")
    return 0 if seen.healthy else 1


if __name__ == "__main__":
    sys.exit(main())
