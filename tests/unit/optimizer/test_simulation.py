"""Correlated scenarios: seeded, bounded, floored, and correlated as the table says."""

from __future__ import annotations

import numpy as np
import pytest

from webapp.optimizer.correlation import pair_correlation
from webapp.optimizer.players import Player, to_players
from webapp.optimizer.simulation import (
    BATCH,
    DEFAULT_STDEV_SHARE,
    FLOOR_POINTS,
    Simulator,
    nearest_correlation,
    stdevs,
)


def _draw(players: list[Player], sport: str, n: int, seed: int) -> np.ndarray:
    return np.concatenate(list(Simulator(players, sport).batches(n, seed)))


def test_same_seed_same_scenarios(nfl: list[dict]) -> None:
    """A seed fixes every draw."""
    players = to_players(nfl)

    assert np.array_equal(_draw(players, "nfl", 500, 3), _draw(players, "nfl", 500, 3))


def test_different_seed_different_scenarios(nfl: list[dict]) -> None:
    """Another seed draws other outcomes."""
    players = to_players(nfl)

    assert not np.array_equal(_draw(players, "nfl", 500, 3), _draw(players, "nfl", 500, 4))


def test_batches_are_bounded_float32(nfl: list[dict]) -> None:
    """Scenarios come in float32 batches of at most BATCH rows, n rows in all."""
    batches = list(Simulator(to_players(nfl), "nfl").batches(BATCH + 10, 1))

    assert [len(b) for b in batches] == [BATCH, 10]
    assert {b.dtype for b in batches} == {np.dtype(np.float32)}


def test_outcomes_are_floored_and_centred(nfl: list[dict]) -> None:
    """No outcome is under the floor, and means stay near the projections."""
    players = to_players(nfl)

    points = _draw(players, "nfl", 8000, 5)

    projections = np.array([p.projection for p in players])
    assert points.min() >= FLOOR_POINTS
    assert np.allclose(points.mean(axis=0), projections, atol=0.1 * projections.max())


def _pair_slate() -> list[Player]:
    rows = [("QB", "A", "B"), ("WR", "A", "B"), ("DST", "B", "A"), ("QB", "C", "D")]
    return [
        Player(f"p{i}", f"p{i}", (pos,), 5000, team, opp, 20.0, 6.0)
        for i, (pos, team, opp) in enumerate(rows)
    ]


def test_qb_moves_with_his_receiver() -> None:
    """Simulated QB and same-team WR points correlate as the table says (0.45)."""
    points = _draw(_pair_slate(), "nfl", 40_000, 9)

    assert np.corrcoef(points[:, 0], points[:, 1])[0, 1] == pytest.approx(0.45, abs=0.03)


def test_qb_moves_against_the_opposing_defense() -> None:
    """Simulated QB and opposing DST points correlate negatively (-0.35)."""
    points = _draw(_pair_slate(), "nfl", 40_000, 9)

    assert np.corrcoef(points[:, 0], points[:, 2])[0, 1] == pytest.approx(-0.35, abs=0.03)


def test_full_slate_keeps_stack_correlation_positive(nfl: list[dict]) -> None:
    """On a full slate (blocks repaired to be valid) teammates QB-WR still move together."""
    players = to_players(nfl)
    qb = next(i for i, p in enumerate(players) if p.positions == ("QB",))
    wr = next(
        i
        for i, p in enumerate(players)
        if p.positions == ("WR",) and p.team == players[qb].team and p.projection > 5
    )

    points = _draw(players, "nfl", 20_000, 9)

    assert np.corrcoef(points[:, qb], points[:, wr])[0, 1] > 0.15


CORRELATIONS = [
    ("qb-wr-teammates", "nfl", ("QB", "A", "B"), ("WR", "A", "B"), 0.45),
    ("qb-opposing-dst", "nfl", ("QB", "A", "B"), ("DST", "B", "A"), -0.35),
    ("bring-back", "nfl", ("QB", "A", "B"), ("WR", "B", "A"), 0.15),
    ("other-game", "nfl", ("QB", "A", "B"), ("WR", "C", "D"), 0.0),
    ("nba-teammates", "nba", ("PG", "A", "B"), ("C", "A", "B"), -0.05),
    ("nba-opponents", "nba", ("PG", "A", "B"), ("C", "B", "A"), 0.06),
]


@pytest.mark.parametrize(
    ("sport", "a", "b", "expected"),
    [row[1:] for row in CORRELATIONS],
    ids=[row[0] for row in CORRELATIONS],
)
def test_pair_correlation_table(sport: str, a: tuple, b: tuple, expected: float) -> None:
    """Pairs are looked up by positions and by same team / opponent."""
    first = Player("a", "a", (a[0],), 5000, a[1], a[2], 10.0)
    second = Player("b", "b", (b[0],), 5000, b[1], b[2], 10.0)

    assert pair_correlation(first, second, sport) == expected


def test_nearest_correlation_repairs_an_impossible_matrix() -> None:
    """A matrix that is not positive semi-definite becomes a valid correlation matrix."""
    bad = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])

    fixed = nearest_correlation(bad)

    assert np.linalg.eigvalsh(fixed).min() > 0
    assert np.allclose(np.diag(fixed), 1.0)
    np.linalg.cholesky(fixed)


def test_missing_stdev_defaults_to_a_share_of_projection() -> None:
    """A player without stdev gets the documented share of his projection."""
    player = Player("a", "a", ("WR",), 5000, "A", "B", 20.0, None)

    assert stdevs([player], "nfl")[0] == pytest.approx(20.0 * DEFAULT_STDEV_SHARE["nfl"]["WR"])
