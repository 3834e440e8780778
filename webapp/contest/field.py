"""The field: the other entries of a contest, built from projected ownership or given as is.

A modelled field has two parts (docs/contest.md describes the model and its knobs):

- optimizer-built entries (`FieldKnobs.optimizer_share`): the best lineups by the field's
  projections plus noise, some with NFL stacks, each entry drawn from one noisy build's list
  with a rank that falls off geometrically; they are where most duplicates come from;
- drawn entries: lineups drawn slot by slot (sampler.py) from player weights calibrated so
  that, together with the optimizer-built part, each player's share of entries matches his
  projected ownership (iterative proportional fitting on `calibration_lineups` draws per
  round). The error that remains is measured on the field itself and reported.

Either way the field is kept as unique lineups (rows of sorted player indices) with counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from webapp.contest.sampler import SlotTables, StackRates, draw_lineups, stack_shape
from webapp.contest.slate import ContestSlate
from webapp.optimizer.bounds import BoundsModel
from webapp.optimizer.candidates import dominated
from webapp.optimizer.enumeration import top_lineups
from webapp.optimizer.scenarios import stdevs
from webapp.optimizer.slate import Slate

SALARY_BIN = 500  # dollars per bin of the field's salary histogram
SALARY_BINS = 10  # bins below the cap; lineups further from it share one more bin
MAX_DRAW_ROUNDS = 50  # draws of a short batch before the field is called impossible
OPTIMIZER_TRIES = 3  # optimizer-built entries drawn per one wanted, before ownership limits
ENTRIES_PER_BUILD = 400  # optimizer-built entries per noisy build, up to optimizer_builds


class FieldError(ValueError):
    """No field can be built from these players and ownerships."""


@dataclass(frozen=True)
class FieldKnobs:
    """How a modelled field is built; every value is documented in docs/contest.md."""

    optimizer_share: float = 0.2
    optimizer_noise: float = 0.3  # the field's projection error, as a share of each stdev
    optimizer_builds: int = 24  # most noisy builds the optimizer-built entries come from
    optimizer_depth: int = 30  # best lineups enumerated per build
    optimizer_decay: float = 0.9  # chance ratio of a build's rank r + 1 to rank r
    stack: float = 0.65  # drawn NFL lineups given a QB teammate pass catcher
    double_stack: float = 0.35  # of those, given a second one
    bring_back: float = 0.3  # of those, given a player of the QB's opponent
    leftover_mean: float = 600.0  # dollars: mean of the random salary leftover allowed
    calibration_rounds: int = 8
    calibration_lineups: int = 10_000


@dataclass
class Field:
    """Unique lineups (rows of sorted player indices) with their entry counts."""

    lineups: np.ndarray
    counts: np.ndarray
    source: str  # "model" or "given"
    optimizer_entries: int = 0
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def entries(self) -> int:
        return int(self.counts.sum())

    def ownership(self, n_players: int) -> np.ndarray:
        """Each player's share of the field's entries (0..1)."""
        appearances = np.bincount(
            self.lineups.ravel(),
            weights=np.repeat(self.counts, self.lineups.shape[1]),
            minlength=n_players,
        )
        return appearances / max(self.entries, 1)

    def copies(self, lineups: np.ndarray) -> np.ndarray:
        """How many entries of the field hold each of these lineups (sorted rows)."""
        index = {row.tobytes(): int(c) for row, c in zip(self.lineups, self.counts, strict=True)}
        rows = np.ascontiguousarray(lineups, dtype=self.lineups.dtype)
        return np.array([index.get(row.tobytes(), 0) for row in rows], dtype=np.int64)


def unique_field(lineups: np.ndarray, source: str, **extra: Any) -> Field:
    """A Field from entry rows (sorted player indices, duplicates allowed)."""
    rows = np.ascontiguousarray(lineups, dtype=np.int32)
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    return Field(unique, counts.astype(np.int64), source, **extra)


def given_field(contest: ContestSlate, lineups: Sequence[Sequence[str]]) -> Field:
    """The field of entries given by player ids, used exactly (LineupError for a bad one)."""
    rows = np.array([contest.lineup(ids) for ids in lineups], dtype=np.int32)
    return unique_field(rows.reshape(len(lineups), contest.rules.size), "given")


def model_field(
    contest: ContestSlate, entries: int, knobs: FieldKnobs, rng: np.random.Generator
) -> Field:
    """`entries` lineups from the ownership model: optimizer-built, then drawn."""
    wanted = round(entries * knobs.optimizer_share)
    built = optimizer_entries(contest, wanted, entries, knobs, rng)
    drawn_count = entries - len(built)
    appearances = np.bincount(built.ravel(), minlength=len(contest)) if len(built) else 0
    residual = np.clip(
        (contest.ownership * entries - appearances) / max(drawn_count, 1), 0.0, 1.0
    )  # what the drawn entries must hold so that the whole field matches the ownership
    tables = SlotTables(contest.players, contest.rules)
    rates = _stack_rates(contest, knobs)
    weights = calibrate(tables, residual, knobs, rates, rng)
    drawn = draw_exactly(tables, weights, drawn_count, rng, rates, knobs.leftover_mean)
    return unique_field(np.vstack([built, drawn]), "model", optimizer_entries=len(built))


def _stack_rates(contest: ContestSlate, knobs: FieldKnobs) -> StackRates:
    if not stack_shape(contest.rules).anchor:
        return StackRates()
    return StackRates(knobs.stack, knobs.double_stack, knobs.bring_back)


def calibrate(
    tables: SlotTables,
    target: np.ndarray,
    knobs: FieldKnobs,
    rates: StackRates,
    rng: np.random.Generator,
) -> np.ndarray:
    """Player weights whose drawn lineups hold each player in about `target` of them:
    multiplicative updates by target / share seen, each on fresh draws."""
    weights = target.astype(np.float64).copy()
    for _ in range(knobs.calibration_rounds):
        lineups = draw_exactly(
            tables, weights, knobs.calibration_lineups, rng, rates, knobs.leftover_mean
        )
        seen = np.bincount(lineups.ravel(), minlength=len(target)) / len(lineups)
        ratio = np.where(seen > 0, target / np.maximum(seen, 1e-12), 3.0)
        weights *= np.clip(ratio, 1 / 3, 3.0)
        weights[target <= 0] = 0.0
    return weights


def draw_exactly(
    tables: SlotTables,
    weights: np.ndarray,
    count: int,
    rng: np.random.Generator,
    rates: StackRates,
    leftover_mean: float,
) -> np.ndarray:
    """Exactly `count` drawn lineups; FieldError when draws keep failing."""
    found: list[np.ndarray] = []
    have, rate = 0, 0.5
    for _ in range(MAX_DRAW_ROUNDS):
        if have >= count:
            break
        asked = int((count - have) / rate * 1.1) + 64
        lineups = draw_lineups(tables, weights, asked, rng, rates, leftover_mean)
        rate = max(len(lineups) / asked, 0.01)
        found.append(lineups)
        have += len(lineups)
    if have < count:
        raise FieldError(
            "lineups drawn from the ownerships keep breaking the roster rules or the salary cap"
        )
    return np.vstack(found)[:count] if count else np.empty((0, tables.size), np.int64)


def optimizer_entries(
    contest: ContestSlate,
    count: int,
    entries: int,
    knobs: FieldKnobs,
    rng: np.random.Generator,
) -> np.ndarray:
    """Up to `count` entries of a field of `entries` built by optimizers on noisy field
    projections (rows of indices); fewer when they would hold a player more often than his
    ownership allows."""
    size = contest.rules.size
    if count == 0:
        return np.empty((0, size), dtype=np.int64)
    noise = stdevs(contest.players, contest.rules.outcomes) * knobs.optimizer_noise
    plain = BoundsModel(contest.slate)  # one LP for every unstacked build, re-solved each time
    builds = []
    for build in range(min(knobs.optimizer_builds, max(4, count // ENTRIES_PER_BUILD))):
        values = np.maximum(contest.field_projection + rng.standard_normal(len(noise)) * noise, 0)
        slate = _stacked(contest, values) if build % 2 else contest.slate
        scaled = slate.scaled(values)
        found = top_lineups(
            slate,
            scaled,
            knobs.optimizer_depth,
            frozenset(dominated(slate, scaled)),
            bounds_model=plain if slate is contest.slate else None,
        )
        if found:
            builds.append(np.sort(np.array(found, dtype=np.int64), axis=1))
    if not builds:
        raise FieldError("no lineup of the slate keeps the roster rules and the salary cap")
    tries = count * OPTIMIZER_TRIES
    which = rng.integers(len(builds), size=tries)
    ranks = rng.geometric(1 - knobs.optimizer_decay, size=tries) - 1
    rows = np.empty((tries, size), dtype=np.int64)
    for b, lineups in enumerate(builds):
        mine = which == b
        rows[mine] = lineups[np.minimum(ranks[mine], len(lineups) - 1)]
    return within_ownership(rows, contest.ownership * entries)[:count]


def within_ownership(rows: np.ndarray, room: np.ndarray) -> np.ndarray:
    """The rows, in order, that keep every player's appearances within `room`: optimizers
    favour some players more than the whole field does, and the field's ownership is
    the projection to keep."""
    left = room.astype(np.float64).copy()
    kept = []
    for row in rows.tolist():
        if all(left[i] >= 1 for i in row):
            left[row] -= 1
            kept.append(row)
    return np.array(kept, dtype=np.int64).reshape(len(kept), rows.shape[1])


def _stacked(contest: ContestSlate, values: np.ndarray) -> Slate:
    """The slate with its best QB by these values locked together with his best pass
    catcher (sports without stacks: the slate itself)."""
    rules, players = contest.rules, contest.players
    stack = stack_shape(rules)
    anchors = [i for i, p in enumerate(players) if stack.anchor in p.positions]
    if not anchors:
        return contest.slate
    anchor = max(anchors, key=lambda i: (values[i], -i))
    catchers = [
        i
        for i, p in enumerate(players)
        if p.team == players[anchor].team and stack.catchers & set(p.positions)
    ]
    if not catchers:
        return contest.slate
    catcher = max(catchers, key=lambda i: (values[i], -i))
    locks = frozenset({players[anchor].id, players[catcher].id})
    return Slate(players, rules, locks)


def field_summary(
    contest: ContestSlate, the_field: Field, field_size: int
) -> tuple[dict[str, Any], np.ndarray]:
    """The field as the result describes it, and each player's share of its entries."""
    shares = the_field.ownership(len(contest))
    error = np.abs(shares - contest.ownership)[contest.has_ownership] * 100
    salaries = contest.slate.salaries[the_field.lineups].sum(axis=1)
    summary = {
        "size": field_size,
        "entries": the_field.entries,
        "unique_lineups": len(the_field.lineups),
        "source": the_field.source,
        "optimizer_entries": the_field.optimizer_entries,
        "ownership_mae": round(float(error.mean()), 3) if len(error) else None,
        "ownership_max_error": round(float(error.max()), 3) if len(error) else None,
        "salary_histogram": salary_histogram(salaries, the_field.counts, contest.rules.salary_cap),
        "max_copies": int(the_field.counts.max()) if len(the_field.counts) else 0,
    }
    if stack_shape(contest.rules).anchor:
        summary["stack_pct"] = round(100 * stack_share(contest, the_field), 2)
    return summary, shares


def salary_histogram(salaries: np.ndarray, counts: np.ndarray, cap: int) -> list[dict[str, Any]]:
    """Share of entries by salary left under the cap: SALARY_BINS bins of SALARY_BIN dollars,
    then one for the rest."""
    left = cap - salaries
    bins = np.minimum(left // SALARY_BIN, SALARY_BINS)
    shares = np.bincount(bins, weights=counts, minlength=SALARY_BINS + 1) / max(counts.sum(), 1)
    rows = []
    for b, share in enumerate(shares):
        low = cap - (b + 1) * SALARY_BIN + 1 if b < SALARY_BINS else 0
        rows.append(
            {"min": int(low), "max": int(cap - b * SALARY_BIN), "pct": round(100 * share, 2)}
        )
    return rows


def stack_share(contest: ContestSlate, the_field: Field) -> float:
    """Share of entries with a QB and at least one pass catcher of his team."""
    tables = SlotTables(contest.players, contest.rules)
    anchor = np.array([stack_shape(contest.rules).anchor in p.positions for p in contest.players])
    lineups = the_field.lineups
    team = tables.team[lineups]
    is_anchor, is_catcher = anchor[lineups], tables.catcher[lineups]
    anchor_team = np.where(is_anchor, team, -1).max(axis=1)
    stacked = (is_catcher & (team == anchor_team[:, None])).any(axis=1) & (anchor_team >= 0)
    return float((stacked * the_field.counts).sum() / max(the_field.entries, 1))
