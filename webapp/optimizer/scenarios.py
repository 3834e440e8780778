"""Correlated, right-skewed outcomes for every player, seeded and drawn in bounded batches.

Marginals: each player's points are lognormal with mean = projection and sd = stdev (a
share of the projection by position when none is given, the sport's `stdev_shares` in
rules.py): DFS scoring is right-skewed, never negative. Players projected at 0 or less score 0
and take no part in the correlation structure. Dependence: a Gaussian copula whose normal
scores follow the factor model of factors.py (a game factor, the sport's team factors,
loadings by position), valid by construction. In showdown a player's captain row and FLEX/UTIL
row are one player drawn once; the captain's row scores 1.5 times the draw (`for_slate`).
A batch is one matrix product (scenarios x factors times factors x players) plus own shocks
and an exp; 10,000 scenarios x 500 players take well under a
second. Scenarios come in batches of `BATCH` rows of float32, so a pass holds at most
BATCH x players x 4 bytes of draws at a time. The same players, sport, loadings, seed and
stream always give the same scenarios.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from webapp.optimizer.factors import Loadings, loadings_for
from webapp.optimizer.players import Player
from webapp.optimizer.rules import OutcomeModel
from webapp.optimizer.slate import Slate

BATCH = 4096  # scenarios per batch; fixed, so the random stream never depends on anything else
FLOOR_POINTS = 0.0  # outcomes are lognormal: never below this
FALLBACK_STDEV_SHARE = 0.40  # of a position the sport's stdev shares do not name


def stdevs(players: Sequence[Player], outcomes: OutcomeModel) -> np.ndarray:
    """Each player's stdev, defaulting to a share of the projection by position."""
    shares = outcomes.stdev_shares
    return np.array(
        [
            p.stdev
            if p.stdev is not None
            else shares.get(p.positions[0], FALLBACK_STDEV_SHARE) * max(p.projection, 0.0)
            for p in players
        ],
        dtype=np.float64,
    )


def slate_stdevs(slate: Slate) -> np.ndarray:
    """Each row's stdev as it counts in a lineup (a captain's row: 1.5 times his)."""
    return stdevs(slate.players, slate.rules.outcomes) * slate.multipliers


def factor_loadings(
    players: Sequence[Player], outcomes: OutcomeModel, overrides: Loadings | None = None
) -> np.ndarray:
    """players x factors loading matrix: per game a game factor, per team its team factors."""
    by_position = loadings_for(outcomes, overrides)
    per_team = outcomes.team_factors
    teams = sorted({p.team for p in players} | {p.opponent for p in players})
    games = sorted({p.game for p in players})
    game_index = {game: k for k, game in enumerate(games)}
    team_index = {team: len(games) + len(per_team) * k for k, team in enumerate(teams)}
    matrix = np.zeros((len(players), len(games) + len(per_team) * len(teams)))
    for row, player in enumerate(players):
        loads = by_position.get(player.positions[0], {})
        own, opp = team_index[player.team], team_index[player.opponent]
        matrix[row, game_index[player.game]] = loads.get("game", 0.0)
        for k, factor in enumerate(per_team):
            matrix[row, own + k] += loads.get(factor, 0.0)
            matrix[row, opp + k] += loads.get(f"opp_{factor}", 0.0)
    return matrix


class Simulator:
    """Draws scenario batches for one slate; construction does the per-player set-up.

    `row_players` maps each column of a batch to the player it is (an index into `players`)
    and `multipliers` say what each column counts for; by default a column per player, at 1.
    """

    def __init__(
        self,
        players: Sequence[Player],
        outcomes: OutcomeModel,
        overrides: Loadings | None = None,
        *,
        row_players: Sequence[int] | None = None,
        multipliers: np.ndarray | None = None,
    ) -> None:
        mean = np.array([p.projection for p in players], dtype=np.float64)
        self.active = np.flatnonzero(mean > 0)
        m, s = mean[self.active], stdevs(players, outcomes)[self.active]
        log_var = np.log1p((s / m) ** 2)  # lognormal with mean m and sd s
        self.log_sd = np.sqrt(log_var).astype(np.float32)
        self.log_mean = (np.log(m) - log_var / 2).astype(np.float32)
        loads = factor_loadings([players[i] for i in self.active], outcomes, overrides)
        self.loadings_t = np.ascontiguousarray(loads.T, dtype=np.float32)
        own = np.clip(1.0 - (loads**2).sum(axis=1), 0.0, None)
        self.own_sd = np.sqrt(own).astype(np.float32)
        column_of = np.full(len(players), -1)
        column_of[self.active] = np.arange(len(self.active))
        rows = np.arange(len(players)) if row_players is None else np.asarray(row_players)
        self.n_players = len(rows)
        self.columns = column_of[rows]  # each row's column of the draws, -1: scores 0
        self.scale = None if multipliers is None else np.asarray(multipliers, dtype=np.float32)

    @classmethod
    def for_slate(cls, slate: Slate, overrides: Loadings | None = None) -> Simulator:
        """The simulator of a slate's rows: a showdown player's two rows share one draw."""
        first: dict[int, int] = {}
        for i, person in enumerate(slate.person_of):
            first.setdefault(person, i)
        people = sorted(first.values())
        number = {first_row: k for k, first_row in enumerate(people)}
        rows = [number[first[person]] for person in slate.person_of]
        multipliers = None if np.all(slate.multipliers == 1.0) else slate.multipliers
        players = [slate.players[i] for i in people]
        return cls(
            players, slate.rules.outcomes, overrides, row_players=rows, multipliers=multipliers
        )

    def batches(self, n_scenarios: int, seed: int, stream: int = 0) -> Iterator[np.ndarray]:
        """Yield float32 arrays (rows, players) of fantasy points, n_scenarios rows in all.
        Different `stream`s of one seed are independent draws."""
        rng = np.random.default_rng([seed, stream])
        left = n_scenarios
        while left > 0:
            size = min(BATCH, left)
            factors = rng.standard_normal((size, self.loadings_t.shape[0]), dtype=np.float32)
            scores = factors @ self.loadings_t
            scores += rng.standard_normal(scores.shape, dtype=np.float32) * self.own_sd
            scores *= self.log_sd
            scores += self.log_mean
            np.exp(scores, out=scores)
            yield self._by_row(scores)
            left -= size

    def _by_row(self, scores: np.ndarray) -> np.ndarray:
        """The draws of the active players as one column per row (0 for inactive ones)."""
        points = np.zeros((len(scores), self.n_players), dtype=np.float32)
        scored = np.flatnonzero(self.columns >= 0)
        points[:, scored] = scores[:, self.columns[scored]]
        if self.scale is not None:
            points *= self.scale
        return points

    def rows(self, count: int, seed: int, stream: int) -> np.ndarray:
        """`count` scenarios of one stream as one array."""
        batches = list(self.batches(count, seed, stream))
        return np.concatenate(batches) if batches else np.empty((0, self.n_players), np.float32)
