"""Correlated outcomes for every player, seeded and drawn in bounded batches (numpy).

Correlation is a position-pair table keyed by same team / opponent, as DFS simulators use it;
each game's players form one block whose correlation matrix is made positive semi-definite
(eigenvalues clipped) and factored once; scenarios are drawn batch by batch in float32, so memory
stays at about batch x players x 4 bytes whatever the scenario count.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from webapp.optimizer.players import Player

BATCH = 2_000  # scenarios per batch: 2,000 x 1,000 players x 4 B = 8 MB per batch
DEFAULT_STDEV_SHARE = 0.35  # stdev when a player has none: this share of the projection

# (position, position) -> correlation, for players of the same team and of opposing teams.
SAME_TEAM = {
    ("QB", "WR"): 0.45,
    ("QB", "TE"): 0.35,
    ("QB", "RB"): 0.10,
    ("WR", "WR"): 0.05,
    ("RB", "RB"): -0.10,
    ("RB", "DST"): 0.15,
    ("QB", "DST"): -0.05,
}
OPPONENT = {
    ("QB", "QB"): 0.20,
    ("QB", "WR"): 0.15,
    ("QB", "TE"): 0.10,
    ("WR", "WR"): 0.05,
    ("QB", "DST"): -0.35,
    ("WR", "DST"): -0.20,
    ("TE", "DST"): -0.15,
    ("RB", "DST"): -0.20,
}
NBA_SAME_TEAM = -0.05
NBA_OPPONENT = 0.05


def _pair(table: dict[tuple[str, str], float], a: str, b: str) -> float:
    return table.get((a, b), table.get((b, a), 0.0))


def correlation(a: Player, b: Player, sport: str) -> float:
    """Correlation of two different players' outcomes."""
    if sport == "nba":
        if a.team == b.team:
            return NBA_SAME_TEAM
        return NBA_OPPONENT if a.opponent == b.team else 0.0
    table = SAME_TEAM if a.team == b.team else OPPONENT if a.opponent == b.team else None
    if table is None:
        return 0.0
    return _pair(table, a.positions[0], b.positions[0])


def _nearest_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    fixed = vectors @ np.diag(np.clip(values, 1e-6, None)) @ vectors.T
    scale = np.sqrt(np.diag(fixed))
    return fixed / np.outer(scale, scale)


def game_factors(players: Sequence[Player], sport: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(player indices, Cholesky factor) for every game."""
    games: dict[frozenset[str], list[int]] = {}
    for index, player in enumerate(players):
        games.setdefault(player.game, []).append(index)
    factors = []
    for key in sorted(games, key=lambda g: sorted(g)):
        members = games[key]
        block = np.eye(len(members))
        for i, a in enumerate(members):
            for j in range(i + 1, len(members)):
                block[i, j] = block[j, i] = correlation(players[a], players[members[j]], sport)
        factors.append((np.array(members), np.linalg.cholesky(_nearest_psd(block))))
    return factors


def stdevs(players: Sequence[Player]) -> np.ndarray:
    """Each player's stdev, defaulting to a share of the projection."""
    return np.array(
        [
            p.stdev if p.stdev is not None else DEFAULT_STDEV_SHARE * max(p.projection, 0.0)
            for p in players
        ],
        dtype=np.float64,
    )


def scenario_batches(
    players: Sequence[Player], sport: str, n_scenarios: int, seed: int
) -> Iterator[np.ndarray]:
    """Yield float32 arrays (batch, players) of fantasy points, n_scenarios rows in all."""
    rng = np.random.default_rng(seed)
    mean = np.array([p.projection for p in players], dtype=np.float64)
    sigma = stdevs(players)
    factors = game_factors(players, sport)
    left = n_scenarios
    while left > 0:
        size = min(BATCH, left)
        z = np.empty((size, len(players)), dtype=np.float64)
        for members, factor in factors:
            z[:, members] = rng.standard_normal((size, len(members))) @ factor.T
        yield np.clip(mean + z * sigma, 0.0, None).astype(np.float32)
        left -= size
