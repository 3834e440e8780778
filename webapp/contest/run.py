"""One contest simulation from a checked request: the field, the sims, the result document."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from typing import Any

import numpy as np

from webapp.contest.field import Field, FieldKnobs, field_summary, given_field, model_field
from webapp.contest.metrics import lineup_rows, player_rows, portfolio_row
from webapp.contest.payouts import Payouts
from webapp.contest.simulate import DEFAULT_OPTIMAL_SIMS, Contest, Tallies, simulate
from webapp.contest.slate import ContestRequestError, ContestSlate
from webapp.optimizer.checkpoint import (
    Checkpoint,
    derived_seed,
    fingerprint,
    load_state,
    new_state,
)

FIELD_STREAM = 4  # random stream of the seed the field is drawn from
FIELD_SHARE = 0.1  # share of the progress bar the field takes
KNOB_NAMES = tuple(knob.name for knob in fields(FieldKnobs))

Progress = Callable[[float, str], None]


def _ignore(_fraction: float, _phase: str) -> None:
    """No progress is reported."""


def knobs_of(spec: Mapping[str, Any]) -> FieldKnobs:
    """The field model's knobs: the defaults with the request's `field_model` over them."""
    return FieldKnobs(
        **{k: v for k, v in (spec.get("field_model") or {}).items() if k in KNOB_NAMES}
    )


def settings_of(request: Mapping[str, Any], seed: int | None) -> dict[str, Any]:
    """The settings a result reports: the contest (the given field as its size), the seed
    used and the field model's knobs."""
    spec = {k: v for k, v in request["contest"].items() if k != "field_lineups"}
    return {
        "sport": request["sport"],
        "contest_type": request.get("contest_type", "classic"),
        "contest": {**spec, "seed": seed, "field_model": vars(knobs_of(spec))},
        "field_lineups": len(request["contest"].get("field_lineups") or ()),
    }


def _inputs(request: Mapping[str, Any], seed: int | None) -> dict[str, Any]:
    """Everything a result depends on besides the players (what seeds and checkpoints key on)."""
    return {
        **settings_of(request, seed),
        "lineups": [list(lineup) for lineup in request["lineups"]],
        "field_lineups": request["contest"].get("field_lineups"),
    }


def run_contest(
    players: Sequence[Mapping[str, Any]],
    request: Mapping[str, Any],
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> dict[str, Any]:
    """Simulate the request's lineups in its contest; LineupError / FieldError / ValueError
    when the request cannot be simulated. A later call with the same request and checkpoint
    continues where this one stopped and gives the same result."""
    report = progress or _ignore
    slate = ContestSlate(players, request["sport"])
    spec = request["contest"]
    ours = np.array([slate.lineup(ids) for ids in request["lineups"]], dtype=np.int64)
    seed = spec.get("seed")
    if seed is None:
        seed = derived_seed(players, _inputs(request, None))
    settings = settings_of(request, seed)
    report(0.0, "field")
    the_field = _field(slate, request, len(ours), seed)
    payouts = Payouts(spec["payouts"], spec["field_size"])
    contest = Contest(
        payouts,
        float(spec["entry_fee"]),
        int(spec["n_sims"]),
        seed,
        int(spec.get("optimal_sims", DEFAULT_OPTIMAL_SIMS)),
    )
    digest = fingerprint(players, _inputs(request, seed))
    state = load_state(checkpoint, digest)
    tallies = Tallies.from_state(state["tallies"]) if state else Tallies(len(ours), len(slate))

    def on_batch(done: Tallies) -> None:
        if checkpoint is not None:
            checkpoint.save(new_state(digest, tallies=done.to_state()))
        report(FIELD_SHARE + (1 - FIELD_SHARE) * done.sims / contest.n_sims, "simulating")

    report(FIELD_SHARE, "simulating")
    simulate(slate, ours, the_field, contest, tallies, on_batch)
    return _document(slate, ours, the_field, contest, tallies, settings)


def _field(slate: ContestSlate, request: Mapping[str, Any], entered: int, seed: int) -> Field:
    """The given field, used exactly, or one modelled from the ownership."""
    spec = request["contest"]
    given = spec.get("field_lineups")
    if given is not None:
        if len(given) + entered != spec["field_size"]:
            raise ContestRequestError(
                f"field_lineups hold {len(given)} entries; with the {entered} entered lineups "
                f"a contest of {spec['field_size']} entries needs {spec['field_size'] - entered}"
            )
        return given_field(slate, given)
    rng = np.random.default_rng([seed, FIELD_STREAM])
    return model_field(slate, spec["field_size"] - entered, knobs_of(spec), rng)


def _document(
    slate: ContestSlate,
    ours: np.ndarray,
    the_field: Field,
    contest: Contest,
    tallies: Tallies,
    settings: dict[str, Any],
) -> dict[str, Any]:
    summary, shares = field_summary(slate, the_field, contest.payouts.field_size)
    fee = contest.entry_fee
    return {
        "lineups": lineup_rows(slate, ours, tallies, fee, the_field.copies(ours)),
        "players": player_rows(slate, ours, tallies, shares),
        "portfolio": portfolio_row(tallies, fee),
        "field": summary,
        "settings": {**settings, "n_sims": tallies.sims, "optimal_sims": tallies.optimal_sims},
        "warnings": _warnings(slate, the_field),
    }


def _warnings(slate: ContestSlate, the_field: Field) -> list[str]:
    """Ownership missing, or summing to what no field can hold."""
    warnings = []
    missing = int((~slate.has_ownership).sum())
    if missing:
        warnings.append(f"{missing} players have no ownership: counted as 0% of the field")
    total = float(slate.ownership.sum() * 100)
    expected = 100 * slate.rules.size
    if the_field.source == "model" and abs(total - expected) > 0.05 * expected:
        warnings.append(
            f"the ownerships sum to {total:.0f}%, not the {expected}% a field of "
            f"{slate.rules.size}-player lineups holds: the field cannot match them all"
        )
    return warnings
