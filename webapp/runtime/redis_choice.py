"""The operator CLI refuses to guess which Redis it acts on, and says which one it uses.

Without REDIS_URL the service's default is redis://127.0.0.1:6379/0, while `scripts/serve`
runs its own Redis on 6380: `jobs purge/requeue/fail` on the default would silently act on
another Redis than the service's. So the CLI needs REDIS_URL (`scripts/ops` sets it to the
local Redis of `scripts/serve` when that one runs).
"""

from __future__ import annotations

from collections.abc import Mapping

from webapp.config import Settings
from webapp.redaction import redact


class RedisChoiceError(Exception):
    """REDIS_URL is not set: acting on the default Redis would be a guess."""


def chosen_redis(settings: Settings, environ: Mapping[str, str]) -> str:
    """The (redacted) URL the operator commands act on; RedisChoiceError when it is a guess.

    Tests build their settings in code (testing=True), so they have chosen already."""
    if "REDIS_URL" in environ or settings.testing:
        return redact(settings.redis_url)
    raise RedisChoiceError(
        "REDIS_URL is not set, so this command would guess which Redis the service uses "
        f"(the default {redact(settings.redis_url)} is not the local Redis that "
        "scripts/serve starts). Set REDIS_URL to the service's Redis, or run "
        "`scripts/ops jobs ...`, which uses the same Redis as scripts/serve."
    )
