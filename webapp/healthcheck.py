"""Container health check without curl: `python -m webapp.healthcheck [URL]`.

Exits 0 when GET /health answers 200 within 2 s, 1 otherwise. The URL defaults to
http://127.0.0.1:$PORT/health (PORT defaults to 8000). Touches no dependency, like /health.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 2.0


def check(url: str, timeout_s: float = TIMEOUT_S) -> bool:
    """True when `url` answers 200 within `timeout_s`."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main(argv: list[str] | None = None) -> int:
    """Exit status for Docker's HEALTHCHECK."""
    args = sys.argv[1:] if argv is None else argv
    url = args[0] if args else f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health"
    return 0 if check(url) else 1


if __name__ == "__main__":
    sys.exit(main())
