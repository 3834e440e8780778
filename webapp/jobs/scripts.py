"""The Lua scripts that change job state (`lua/<name>.lua`), each declared once with its inputs.

A script file opens by naming its inputs, as Dramatiq's `dispatch.lua` does:

    local job, leases, pending = KEYS[1], KEYS[2], KEYS[3]
    local token, now_iso = ARGV[1], ARGV[2]

and its `Script` below declares the same names in the same order. The loader refuses a file
whose opening lines differ, and callers pass every input by name (`JobStore._run`), so the
position of an input is written in one place and checked against the other. A `rest` input
takes what follows the named arguments (`local fields = {unpack(ARGV, 6)}`). The functions in
`lua/common.lua`, after the constants from `keys.py` they use, go before every script.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from webapp.jobs.keys import (
    NOTIFY_TTL_MS,
    TENANT_QUEUE_INFIX,
    TOMBSTONE_OWNER,
    TURNS_CLOCK_SUFFIX,
    TURNS_SUFFIX,
)


class Script:
    """One Lua script: its file name and its inputs (KEYS, ARGV, and what follows) by name."""

    def __init__(
        self,
        name: str,
        *,
        keys: tuple[str, ...] = (),
        args: tuple[str, ...] = (),
        rest: str | None = None,
    ) -> None:
        names = [*keys, *args, *([rest] if rest else [])]
        if len(set(names)) != len(names):
            raise ValueError(f"{name}.lua: an input is named twice in {names}")
        self.name = name
        self.keys = keys
        self.args = args
        self.rest = rest

    def __repr__(self) -> str:
        return f"Script({self.name!r})"

    def opening(self) -> list[str]:
        """The lines the script's file must open with: its inputs, named in order."""
        lines = [_naming(self.keys, "KEYS"), _naming(self.args, "ARGV")]
        if self.rest:
            lines.append(f"local {self.rest} = {{unpack(ARGV, {len(self.args) + 1})}}")
        return [line for line in lines if line]

    def source(self) -> str:
        """The Lua that Redis runs: the shared prelude, then the file (its opening checked)."""
        text = _read(f"{self.name}.lua")
        opening = self.opening()
        if text.splitlines()[: len(opening)] != opening:
            raise ValueError(f"{self.name}.lua must open with:\n" + "\n".join(opening))
        return _prelude() + text

    def inputs(self, values: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
        """KEYS and ARGV in the script's order, taken by name from `values` (which may hold
        more); KeyError names an input that is missing."""
        missing = [n for n in (*self.keys, *self.args, self.rest) if n and n not in values]
        if missing:
            raise KeyError(f"{self.name}.lua needs {missing}")
        rest: Iterable[Any] = values[self.rest] if self.rest else ()
        return [values[k] for k in self.keys], [values[a] for a in self.args] + list(rest)


def _naming(names: tuple[str, ...], table: str) -> str:
    if not names:
        return ""
    slots = ", ".join(f"{table}[{position}]" for position in range(1, len(names) + 1))
    return f"local {', '.join(names)} = {slots}"


@cache
def _read(filename: str) -> str:
    return resources.files("webapp.jobs").joinpath("lua", filename).read_text(encoding="utf-8")


@cache
def _prelude() -> str:
    constants = (
        f"local NOTIFY_TTL_MS = {NOTIFY_TTL_MS}\n"
        f"local TENANT_QUEUE_INFIX = '{TENANT_QUEUE_INFIX}'\n"
        f"local TURNS_SUFFIX = '{TURNS_SUFFIX}'\n"
        f"local TURNS_CLOCK_SUFFIX = '{TURNS_CLOCK_SUFFIX}'\n"
        f"local TOMBSTONE_OWNER = '{TOMBSTONE_OWNER}'\n"
    )
    return constants + _read("common.lua")


# ---------------------------------------------------------------- a job enters the queue
SUBMIT = Script(
    "submit",
    keys=("job", "tombstone", "pending", "wake", "idempotency", "own_queue", "bucket"),
    args=(
        "job_prefix", "run_id", "digest", "tombstone_ttl", "hold_ms", "max_pending",
        "rate_per_s", "burst",
    ),
    rest="fields",
)  # fmt: skip
CONFIRM = Script("confirm", keys=("job", "pending", "wake"), args=("run_id",))
WITHDRAW = Script("withdraw", keys=("job", "tombstone", "pending", "idempotency"), args=("run_id",))
CLAIM = Script(
    "claim",
    keys=("pending", "leases", "wake", "claimed"),
    args=("job_prefix", "lease_ms", "owner", "now_iso", "token", "notify_suffix"),
)

# ---------------------------------------------------------------- an attempt's writes
PROGRESS = Script(
    "progress", keys=("job", "tombstone"), args=("token", "progress", "phase", "now_iso")
)
CHECKPOINT = Script(
    "checkpoint", keys=("job", "checkpoint", "tombstone"), args=("token", "blob", "ttl")
)
FINISH = Script(
    "finish",
    keys=("job", "result", "leases", "checkpoint", "tombstone", "pending", "notice"),
    args=(
        "token", "status", "now_iso", "ttl", "tombstone_ttl", "run_id", "message",
        "result_blob", "error_code",
    ),
)  # fmt: skip
HAND_BACK = Script(
    "hand_back",
    keys=("job", "leases", "pending", "wake", "notice", "tombstone"),
    args=("token", "now_iso", "run_id", "tombstone_ttl"),
    rest="fields",
)
RETRY_LATER = Script(
    "retry_later",
    keys=("job", "leases", "pending", "wake", "tombstone", "checkpoint", "notice"),
    args=(
        "token", "now_iso", "run_id", "delay_ms", "max_attempts", "message", "ttl",
        "tombstone_ttl", "give_up_code",
    ),
)  # fmt: skip

# ---------------------------------------------------------------- leases and recovery
HEARTBEAT = Script(
    "heartbeat",
    keys=("leases", "pending"),
    args=("job_prefix", "tombstone_prefix", "lease_ms", "owner", "notify_suffix"),
    rest="attempts",
)
RESTORE = Script(
    "restore",
    keys=("job", "tombstone", "leases"),
    args=("run_id", "owner", "lease_ms", "tombstone_ttl"),
    rest="fields",
)
RECLAIM = Script(
    "reclaim",
    keys=("leases", "pending", "wake"),
    args=(
        "job_prefix", "tombstone_prefix", "checkpoint_suffix", "notify_suffix",
        "max_attempts", "now_iso", "ttl", "tombstone_ttl", "limit", "not_after_ms",
    ),
)  # fmt: skip

# ---------------------------------------------------------------- from outside an attempt
CANCEL = Script(
    "cancel",
    keys=("job", "leases", "pending", "tombstone", "checkpoint", "notice"),
    args=("run_id", "message", "error_code", "now_iso", "ttl", "tombstone_ttl"),
)
RETRY_FAILED = Script(
    "retry_failed",
    keys=("job", "pending", "wake", "tombstone"),
    args=("run_id", "cancelled_code", "now_iso", "ttl", "tombstone_ttl"),
)

# ---------------------------------------------------------------- an operator's purge
PURGE_TENANT_QUEUE = Script("purge_tenant_queue", keys=("pending", "queue"), rest="run_ids")
PURGE_TURNS = Script("purge_turns", keys=("pending",))

# Every job script (the store registers them all on its client).
ALL = (
    SUBMIT, CONFIRM, WITHDRAW, CLAIM, PROGRESS, CHECKPOINT, FINISH, HAND_BACK, RETRY_LATER,
    HEARTBEAT, RESTORE, RECLAIM, CANCEL, RETRY_FAILED, PURGE_TENANT_QUEUE, PURGE_TURNS,
)  # fmt: skip
