"""Correlated, right-skewed outcomes for every player, seeded and drawn in bounded batches.

Marginals: each player's points are lognormal with mean = projection and sd = stdev (a
share of the projection by position when none is given, `DEFAULT_STDEV_SHARE`): DFS scoring
is right-skewed, never negative. Players projected at 0 or less score 0 and take no part
in the correlation structure. Dependence: a Gaussian copula whose normal scores follow the
factor model of correlation.py (game, team pass and rush factors, loadings by position),
valid by construction. A batch is one matrix product (scenarios x factors times factors x
players) plus own shocks and an exp; 10,000 scenarios x 500 players take well under a
second. Scenarios come in batches of `BATCH` rows of float32, so a pass holds at most
BATCH x players x 4 bytes of draws at a time. The same players, sport, loadings, seed and
stream always give the same scenarios.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from webapp.optimizer.correlation import Loadings, loadings_for
from webapp.optimizer.players import Player

BATCH = 4096  # scenarios per batch; fixed, so the random stream never depends on anything else
FLOOR_POINTS = 0.0  # outcomes are lognormal: never below this
# Stdev when a player has none, as a share of the projection, by sport and first position.
DEFAULT_STDEV_SHARE = {
    "nfl": {"QB": 0.35, "RB": 0.45, "WR": 0.55, "TE": 0.55, "DST": 0.70},
    "nba": {"PG": 0.28, "SG": 0.30, "SF": 0.30, "PF": 0.30, "C": 0.28},
}
FALLBACK_STDEV_SHARE = 0.40


def stdevs(players: Sequence[Player], sport: str) -> np.ndarray:
    """Each player's stdev, defaulting to a share of the projection by position."""
    shares = DEFAULT_STDEV_SHARE.get(sport, {})
    return np.array(
        [
            p.stdev
            if p.stdev is not None
            else shares.get(p.positions[0], FALLBACK_STDEV_SHARE) * max(p.projection, 0.0)
            for p in players
        ],
        dtype=np.float64,
    )


def factor_loadings(
    players: Sequence[Player], sport: str, overrides: Loadings | None = None
) -> np.ndarray:
    """players x factors loading matrix: per game a game factor, per team pass and rush."""
    by_position = loadings_for(sport, overrides)
    teams = sorted({p.team for p in players} | {p.opponent for p in players})
    games = sorted({p.game for p in players})
    game_index = {game: k for k, game in enumerate(games)}
    team_index = {team: len(games) + 2 * k for k, team in enumerate(teams)}
    matrix = np.zeros((len(players), len(games) + 2 * len(teams)))
    for row, player in enumerate(players):
        loads = by_position.get(player.positions[0], {})
        own, opp = team_index[player.team], team_index[player.opponent]
        matrix[row, game_index[player.game]] = loads.get("game", 0.0)
        matrix[row, own] += loads.get("pass", 0.0)
        matrix[row, own + 1] += loads.get("rush", 0.0)
        matrix[row, opp] += loads.get("opp_pass", 0.0)
        matrix[row, opp + 1] += loads.get("opp_rush", 0.0)
    return matrix


class Simulator:
    """Draws scenario batches for one slate; construction does the per-player set-up."""

    def __init__(
        self, players: Sequence[Player], sport: str, overrides: Loadings | None = None
    ) -> None:
        mean = np.array([p.projection for p in players], dtype=np.float64)
        self.active = np.flatnonzero(mean > 0)
        self.n_players = len(players)
        m, s = mean[self.active], stdevs(players, sport)[self.active]
        log_var = np.log1p((s / m) ** 2)  # lognormal with mean m and sd s
        self.log_sd = np.sqrt(log_var).astype(np.float32)
        self.log_mean = (np.log(m) - log_var / 2).astype(np.float32)
        loads = factor_loadings([players[i] for i in self.active], sport, overrides)
        self.loadings_t = np.ascontiguousarray(loads.T, dtype=np.float32)
        own = np.clip(1.0 - (loads**2).sum(axis=1), 0.0, None)
        self.own_sd = np.sqrt(own).astype(np.float32)

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
            points = np.zeros((size, self.n_players), dtype=np.float32)
            points[:, self.active] = scores
            yield points
            left -= size

    def rows(self, count: int, seed: int, stream: int) -> np.ndarray:
        """`count` scenarios of one stream as one array."""
        batches = list(self.batches(count, seed, stream))
        return np.concatenate(batches) if batches else np.empty((0, self.n_players), np.float32)
