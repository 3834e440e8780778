"""Put this instance into draining (or take it out): `python -m webapp.drain [--undo]`.

For a Kubernetes preStop hook or an operator on the host: it writes the drain flag file that
every worker of the instance watches (DRAIN_FLAG_FILE). While it exists, /ready answers 503
`draining`, POST /optimize answers 503 with Retry-After, no new job is taken, and status and
result reads keep working. With --wait N it then waits until the instance runs no job (or N
seconds pass), so the hook returns when the pod is idle. Not reachable over HTTP.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from webapp.config import ConfigError, Settings
from webapp.runtime.lifecycle import DrainFlag


def _running_here(settings: Settings) -> int | None:
    """Jobs running on this host, from the leases' owners (None when Redis cannot be read)."""
    import socket

    import redis

    from webapp.clients.redis_client import RedisConnections
    from webapp.jobs.extension import build_store

    host = socket.gethostname()
    # The service's own connection code, so a Sentinel URL finds the current primary.
    connections = RedisConnections(settings)
    try:
        owners = build_store(connections.probe_client(), settings).lease_owners()
    except redis.RedisError:
        return None
    finally:
        connections.close()
    return sum(1 for owner in owners if owner.startswith(f"{host}:"))


def main(argv: list[str] | None = None) -> int:
    """Set or clear the flag; optionally wait for running jobs to finish."""
    parser = argparse.ArgumentParser(prog="python -m webapp.drain", description=__doc__)
    parser.add_argument("--undo", action="store_true", help="leave draining: take jobs again")
    parser.add_argument("--wait", type=float, default=0, help="seconds to wait for idle")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as error:
        sys.stderr.write(f"{error}\n")
        return 2
    flag = DrainFlag(settings.drain_flag_file)
    if args.undo:
        flag.clear()
        sys.stdout.write(f"drain: flag {flag.path} cleared; this instance takes jobs again\n")
        return 0
    flag.set()
    sys.stdout.write(f"drain: flag set at {flag.path}\n")
    if args.wait:
        from webapp.redaction import redact

        sys.stdout.write(
            f"drain: waiting up to {args.wait:g} s for this host's jobs "
            f"(Redis {redact(settings.redis_url)})\n"
        )
    deadline = time.monotonic() + args.wait
    while args.wait and time.monotonic() < deadline:
        running = _running_here(settings)
        if running == 0:
            break
        time.sleep(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
