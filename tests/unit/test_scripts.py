"""The Lua script loader: each file opens by naming its declared inputs, passed by name."""

from __future__ import annotations

from importlib import resources

import pytest

from webapp.jobs import scripts
from webapp.jobs.scripts import Script

LUA_FILES = sorted(
    p.name.removesuffix(".lua")
    for p in resources.files("webapp.jobs").joinpath("lua").iterdir()
    if p.name.endswith(".lua") and p.name != "common.lua"
)


@pytest.mark.parametrize("script", scripts.ALL, ids=lambda s: s.name)
def test_each_script_file_opens_with_its_declared_inputs(script: Script) -> None:
    """The file's first lines name KEYS and ARGV in the declared order; the prelude comes first."""
    source = script.source()

    assert source.startswith("local NOTIFY_TTL_MS = ")
    for line in script.opening():
        assert f"\n{line}\n" in source


def test_every_script_file_is_declared_once() -> None:
    """No .lua file is left without a declaration, and no two declarations share a file."""
    assert sorted(s.name for s in scripts.ALL) == LUA_FILES


def test_a_file_opening_with_other_names_is_refused() -> None:
    """Declared inputs in another order than the file names them: the loader refuses it."""
    swapped = Script("confirm", keys=("pending", "job", "wake"), args=("run_id",))

    with pytest.raises(ValueError, match="must open with"):
        swapped.source()


def test_inputs_are_placed_by_name() -> None:
    """KEYS and ARGV come out in the declared order, the rest last; extra names are ignored."""
    script = Script("x", keys=("job", "leases"), args=("token", "now_iso"), rest="fields")

    keys, args = script.inputs(
        {"now_iso": "t", "leases": "L", "job": "J", "token": "k", "fields": ["a", "b"], "x": 1}
    )

    assert (keys, args) == (["J", "L"], ["k", "t", "a", "b"])


def test_a_missing_input_is_named() -> None:
    """Leaving out an input raises KeyError naming it, before anything reaches Redis."""
    with pytest.raises(KeyError, match="token"):
        scripts.PROGRESS.inputs({"job": "J", "tombstone": "T", "progress": 1, "phase": ""})


def test_a_name_used_twice_is_refused() -> None:
    """One name for a key and an argument would make the file's opening ambiguous."""
    with pytest.raises(ValueError, match="named twice"):
        Script("x", keys=("job",), args=("job",))
