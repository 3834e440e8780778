"""Random lineups drawn slot by slot from player weights, many at once (numpy, no solver).

A draw fills the stack first (NFL: a QB, then for a share of lineups one or two of his pass
catchers and maybe a bring-back from the other team), then every other slot but the widest
in order of how few players can fill it (each pick weighted among the players eligible for
the slot; a player already in the lineup is drawn again), and the widest slot (FLEX, UTIL)
last, among the players whose salary brings the lineup to within a random `leftover` of the
cap: that is how most lineups end near the cap. Lineups that cannot be completed (no player
fits the salary window, a repeated player after `REDRAWS`, fewer games than the rules ask)
are dropped; callers draw until they have enough. Returned lineups are rows of player indices
sorted ascending.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from webapp.optimizer.players import Player
from webapp.optimizer.rules import GameType

REDRAWS = 8  # redraws of a slot whose pick is already in the lineup
# Salary windows of the last slot are measured in steps of WINDOW_STEP dollars, up to
# WINDOW_STEPS of them; a wider window is bounded by all of the slot's weight.
WINDOW_STEP = 100
WINDOW_STEPS = 100


@dataclass(frozen=True)
class StackRates:
    """How often a drawn lineup is built around a stack (sports with a stack anchor only):
    `stack` of lineups get a QB teammate pass catcher, `double` of those a second one, and
    `bring_back` of those a player of the QB's opponent."""

    stack: float = 0.0
    double: float = 0.0
    bring_back: float = 0.0


@dataclass(frozen=True)
class StackShape:
    """The classic stack a field's lineups build: an anchor position (NFL: the QB; empty when
    the game type has none) with catchers of his team and bring-backs of the opposing team."""

    anchor: str = ""
    catchers: frozenset[str] = frozenset()
    bring_back: frozenset[str] = frozenset()


def stack_shape(rules: GameType) -> StackShape:
    """The game type's stack rule as a field draws it (only a one-position anchor counts)."""
    stack = rules.stack
    if stack is None or len(stack.anchor_positions) != 1:
        return StackShape()
    (anchor,) = stack.anchor_positions
    return StackShape(anchor, stack.partner_positions, stack.bring_back_positions)


class SlotTables:
    """What drawing lineups of one slate needs, built once: eligibility, salaries, teams."""

    def __init__(self, players: list[Player], rules: GameType) -> None:
        self.rules = rules
        self.size = rules.size
        self.eligible = np.array(
            [[bool(slot.positions & set(p.positions)) for slot in rules.slots] for p in players],
            dtype=bool,
        ).reshape(len(players), rules.size)
        self.salary = np.array([p.salary for p in players], dtype=np.int64)
        widths = self.eligible.sum(axis=0)
        self.last = int(np.argmax(widths))
        self.order = [int(s) for s in np.argsort(widths, kind="stable") if s != self.last]
        teams = sorted({p.team for p in players} | {p.opponent for p in players})
        self.team = np.array([teams.index(p.team) for p in players], dtype=np.int64)
        self.opponent = np.array([teams.index(p.opponent) for p in players], dtype=np.int64)
        games = sorted({p.game for p in players})
        self.game = np.array([games.index(p.game) for p in players], dtype=np.int64)
        self.anchor_slot = None
        stack = stack_shape(rules)
        if stack.anchor:
            anchors = [i for i, s in enumerate(rules.slots) if s.positions == {stack.anchor}]
            self.anchor_slot = anchors[0] if anchors else None
        self.catcher = np.array([bool(stack.catchers & set(p.positions)) for p in players])
        self.bringer = np.array([bool(stack.bring_back & set(p.positions)) for p in players])


def _pick(weights: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` player indices drawn with these weights (-1 when all weights are 0)."""
    cumulative = np.cumsum(weights)
    if count == 0 or cumulative[-1] <= 0:
        return np.full(count, -1, dtype=np.int64)
    drawn = np.searchsorted(cumulative, rng.random(count) * cumulative[-1], side="right")
    return np.minimum(drawn, len(weights) - 1)


class _Draw:
    """One batch of lineups being filled; -1 marks an empty slot, `ok` the rows still alive."""

    def __init__(
        self, tables: SlotTables, weights: np.ndarray, count: int, rng: np.random.Generator
    ) -> None:
        self.tables, self.weights, self.rng = tables, weights, rng
        self.slots = np.full((count, tables.size), -1, dtype=np.int64)
        self.ok = np.ones(count, dtype=bool)

    def holds(self, rows: np.ndarray, picks: np.ndarray) -> np.ndarray:
        """Whether each row already holds its pick."""
        return (self.slots[rows] == picks[:, None]).any(axis=1)

    def fill_slot(self, slot: int) -> None:
        """Fill `slot` where it is empty, redrawing picks the row already holds."""
        rows = np.flatnonzero(self.ok & (self.slots[:, slot] < 0))
        weights = self.weights * self.tables.eligible[:, slot]
        for _ in range(REDRAWS):
            if len(rows) == 0:
                return
            picks = _pick(weights, len(rows), self.rng)
            fine = (picks >= 0) & ~self.holds(rows, picks)
            self.slots[rows[fine], slot] = picks[fine]
            rows = rows[~fine]
        self.ok[rows] = False

    def place(self, rows: np.ndarray, picks: np.ndarray) -> None:
        """Put each pick in the first empty slot it may fill (not the widest, kept for the
        salary); rows where it fits nowhere, or that hold it already, are dropped."""
        tables = self.tables
        free = (self.slots[rows] < 0) & tables.eligible[np.maximum(picks, 0)]
        free[:, tables.last] = False
        fits = free.any(axis=1) & (picks >= 0) & ~self.holds(rows, picks)
        self.ok[rows[~fits]] = False
        rows, picks, free = rows[fits], picks[fits], free[fits]
        self.slots[rows, free.argmax(axis=1)] = picks

    def fill_last(self, leftover_mean: float) -> None:
        """The widest slot, among the players that bring the lineup within a random leftover
        (exponential, mean `leftover_mean` dollars) of the cap. A row is kept with probability
        (weight of its window) / (largest weight any window that wide holds): rows are kept
        as often as a pick among all the slot's players would land in their window, without
        drawing all those picks."""
        tables, last = self.tables, self.tables.last
        rows = np.flatnonzero(self.ok)
        spent = np.where(self.slots[rows] >= 0, tables.salary[self.slots[rows]], 0).sum(axis=1)
        room = tables.rules.salary_cap - spent
        widths = self.rng.exponential(leftover_mean, len(rows))
        candidates = np.flatnonzero(tables.eligible[:, last] & (self.weights > 0))
        if len(candidates) == 0:
            self.ok[rows] = False
            return
        candidates = candidates[np.argsort(tables.salary[candidates], kind="stable")]
        salaries = tables.salary[candidates]
        cumulative = np.concatenate([[0.0], np.cumsum(self.weights[candidates])])
        first = np.searchsorted(salaries, room - widths, side="left")
        end = np.searchsorted(salaries, room, side="right")
        mass = np.maximum(cumulative[end] - cumulative[first], 0.0)
        ceiling = _widest_windows(salaries, cumulative)
        bucket = np.minimum(np.ceil(widths / WINDOW_STEP).astype(np.int64), len(ceiling) - 1)
        alive = self.rng.random(len(rows)) * ceiling[bucket] < mass
        point = cumulative[first] + self.rng.random(len(rows)) * mass
        at = np.clip(np.searchsorted(cumulative, point, side="right") - 1, first, end - 1)
        picks = candidates[np.clip(at, 0, len(candidates) - 1)]
        alive &= ~self.holds(rows, picks)
        self.slots[rows[alive], last] = picks[alive]
        self.ok[rows[~alive]] = False

    def stack(self, rates: StackRates) -> None:
        """The anchor slot, then stack partners and bring-backs for their share of rows."""
        tables, rng = self.tables, self.rng
        self.fill_slot(tables.anchor_slot)
        count = len(self.ok)
        stacked = self.ok & (rng.random(count) < rates.stack)
        double = stacked & (rng.random(count) < rates.double)
        back = stacked & (rng.random(count) < rates.bring_back)
        anchor = self.slots[:, tables.anchor_slot]
        for rows, pool, side in (
            (stacked, tables.catcher, tables.team),
            (double, tables.catcher, tables.team),
            (back, tables.bringer, tables.opponent),
        ):
            self._partners(np.flatnonzero(rows & self.ok), pool, side[np.maximum(anchor, 0)])

    def _partners(self, rows: np.ndarray, pool: np.ndarray, teams: np.ndarray) -> None:
        """For each row, a player of `pool` from the team `teams[row]` names."""
        for team in np.unique(teams[rows]):
            at = rows[teams[rows] == team]
            weights = self.weights * (pool & (self.tables.team == team))
            for _ in range(REDRAWS):
                picks = _pick(weights, len(at), self.rng)
                again = (picks >= 0) & self.holds(at, picks)
                self.place(at[~again], picks[~again])
                at = at[again]
                if len(at) == 0:
                    break
            self.ok[at] = False


def _widest_windows(salaries: np.ndarray, cumulative: np.ndarray) -> np.ndarray:
    """For k = 0..WINDOW_STEPS, the largest weight of players whose salaries lie within
    k * WINDOW_STEP dollars of each other (the last entry: any width, all the weight)."""
    widths = np.arange(WINDOW_STEPS + 1) * WINDOW_STEP
    ends = np.searchsorted(salaries, salaries[None, :] + widths[:, None], side="right")
    masses = cumulative[ends] - cumulative[np.arange(len(salaries))][None, :]
    ceiling = masses.max(axis=1)
    ceiling[-1] = cumulative[-1]
    return ceiling


def draw_lineups(
    tables: SlotTables,
    weights: np.ndarray,
    count: int,
    rng: np.random.Generator,
    rates: StackRates,
    leftover_mean: float,
) -> np.ndarray:
    """Up to `count` lineups (rows of sorted player indices); fewer when some were dropped."""
    draw = _Draw(tables, np.asarray(weights, dtype=np.float64), count, rng)
    if tables.anchor_slot is not None:
        draw.stack(rates)
    for slot in tables.order:
        draw.fill_slot(slot)
    draw.fill_last(leftover_mean)
    lineups = np.sort(draw.slots[draw.ok], axis=1)
    games = np.sort(tables.game[lineups], axis=1)
    distinct = 1 + (np.diff(games, axis=1) != 0).sum(axis=1)
    return lineups[distinct >= tables.rules.min_games]
