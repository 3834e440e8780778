"""Correlated outcomes for every player, seeded and drawn in bounded batches (numpy).

Each player's points are normal around the projection with the player's stdev (default: a
share of the projection by position, `DEFAULT_STDEV_SHARE`), clipped at `FLOOR_POINTS`. Each
game's players form one block whose correlation matrix (correlation.py) is made positive
semi-definite by clipping eigenvalues, then factored once (Cholesky). Scenarios are drawn in
batches of `BATCH` rows in float32, so a pass over any number of scenarios holds at most
BATCH x players x 4 bytes of draws at a time (8.2 MB for 500 players; two such arrays while a
batch is transformed). The same players, sport and seed always give the same scenarios.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from webapp.optimizer.correlation import pair_correlation
from webapp.optimizer.players import Player

BATCH = 4096  # scenarios per batch; fixed, so the random stream never depends on anything else
FLOOR_POINTS = 0.0  # fantasy points never go below this in a scenario
MIN_EIGENVALUE = 1e-6  # eigenvalue floor when a correlation block is not positive definite
# Stdev when a player has none, as a share of the projection, by sport and first position.
DEFAULT_STDEV_SHARE = {
    "nfl": {"QB": 0.35, "RB": 0.45, "WR": 0.55, "TE": 0.55, "DST": 0.70},
    "nba": {"PG": 0.28, "SG": 0.30, "SF": 0.30, "PF": 0.30, "C": 0.28},
}
FALLBACK_STDEV_SHARE = 0.40


@dataclass(frozen=True)
class GameBlock:
    """Players of one game (indices) and the Cholesky factor of their correlations."""

    members: np.ndarray
    factor: np.ndarray


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


def nearest_correlation(matrix: np.ndarray) -> np.ndarray:
    """A positive definite correlation matrix close to `matrix` (eigenvalues clipped)."""
    values, vectors = np.linalg.eigh(matrix)
    if values.min() >= MIN_EIGENVALUE:
        return matrix
    fixed = (vectors * np.clip(values, MIN_EIGENVALUE, None)) @ vectors.T
    scale = np.sqrt(np.diag(fixed))
    return fixed / np.outer(scale, scale)


def game_blocks(players: Sequence[Player], sport: str) -> list[GameBlock]:
    """One block per game, in a fixed order (sorted team pairs)."""
    games: dict[tuple[str, str], list[int]] = {}
    for index, player in enumerate(players):
        games.setdefault(player.game, []).append(index)
    blocks = []
    for key in sorted(games):
        members = games[key]
        block = np.eye(len(members))
        for i, a in enumerate(members):
            for j in range(i + 1, len(members)):
                block[i, j] = block[j, i] = pair_correlation(players[a], players[members[j]], sport)
        factor = np.linalg.cholesky(nearest_correlation(block))
        blocks.append(GameBlock(np.array(members), factor.astype(np.float32)))
    return blocks


class Simulator:
    """Draws scenario batches for one slate; construction does the per-game factoring."""

    def __init__(self, players: Sequence[Player], sport: str) -> None:
        self.mean = np.array([p.projection for p in players], dtype=np.float32)
        self.sigma = stdevs(players, sport).astype(np.float32)
        self.blocks = game_blocks(players, sport)
        self.n_players = len(players)

    def batches(self, n_scenarios: int, seed: int) -> Iterator[np.ndarray]:
        """Yield float32 arrays (rows, players) of fantasy points, n_scenarios rows in all."""
        rng = np.random.default_rng(seed)
        left = n_scenarios
        while left > 0:
            size = min(BATCH, left)
            points = np.empty((size, self.n_players), dtype=np.float32)
            for block in self.blocks:
                draws = rng.standard_normal((size, len(block.members)), dtype=np.float32)
                points[:, block.members] = draws @ block.factor.T
            points *= self.sigma
            points += self.mean
            np.maximum(points, FLOOR_POINTS, out=points)
            yield points
            left -= size

    def first_rows(self, count: int, n_scenarios: int, seed: int) -> np.ndarray:
        """The first `count` scenarios of the stream `batches(n_scenarios, seed)` yields."""
        rows = []
        taken = 0
        for batch in self.batches(n_scenarios, seed):
            rows.append(batch[: count - taken])
            taken += len(rows[-1])
            if taken >= count:
                break
        return np.concatenate(rows) if rows else np.empty((0, self.n_players), np.float32)
