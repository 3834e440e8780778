"""Scenarios: seeded, bounded, right-skewed with the projected mean and sd, and correlated
as the factor model says."""

from __future__ import annotations

import numpy as np
import pytest

from webapp.optimizer.factors import implied_correlation, loading_problems
from webapp.optimizer.players import Player, to_players
from webapp.optimizer.rules import NFL_OUTCOMES, game_type
from webapp.optimizer.scenarios import BATCH, Simulator, stdevs

NFL_LOADINGS = NFL_OUTCOMES.loadings


def _draw(players: list[Player], sport: str, n: int, seed: int, **kwargs) -> np.ndarray:
    outcomes = game_type(sport).outcomes
    return np.concatenate(list(Simulator(players, outcomes, **kwargs).batches(n, seed)))


def test_same_seed_same_scenarios(nfl: list[dict]) -> None:
    """A seed fixes every draw."""
    players = to_players(nfl)

    assert np.array_equal(_draw(players, "nfl", 500, 3), _draw(players, "nfl", 500, 3))


def test_different_seed_or_stream_different_scenarios(nfl: list[dict]) -> None:
    """Another seed, or another stream of the same seed, draws other outcomes."""
    players = to_players(nfl)
    simulator = Simulator(players, NFL_OUTCOMES)

    assert not np.array_equal(_draw(players, "nfl", 500, 3), _draw(players, "nfl", 500, 4))
    assert not np.array_equal(simulator.rows(500, 3, 0), simulator.rows(500, 3, 1))


def test_batches_are_bounded_float32(nfl: list[dict]) -> None:
    """Scenarios come in float32 batches of at most BATCH rows, n rows in all."""
    batches = list(Simulator(to_players(nfl), NFL_OUTCOMES).batches(BATCH + 10, 1))

    assert [len(b) for b in batches] == [BATCH, 10]
    assert {b.dtype for b in batches} == {np.dtype(np.float32)}


def test_marginals_match_projection_and_stdev_and_lean_right(nfl: list[dict]) -> None:
    """Each player's simulated mean and sd match his projection and stdev; outcomes are
    never negative and skewed to the right (mean above median)."""
    players = [p for p in to_players(nfl) if p.projection > 5]

    points = _draw(players, "nfl", 40_000, 5)

    projections = np.array([p.projection for p in players])
    sds = np.array([p.stdev for p in players])
    assert points.min() >= 0
    assert np.allclose(points.mean(axis=0), projections, rtol=0.03)
    assert np.allclose(points.std(axis=0), sds, rtol=0.08)
    assert np.all(points.mean(axis=0) > np.median(points, axis=0))


def test_zero_projection_players_score_zero(nfl: list[dict]) -> None:
    """A player projected at 0 scores 0 in every scenario and does not disturb the others."""
    players = to_players(nfl)
    zeroed = [
        *players[:3],
        Player("z", "z", ("WR",), 3000, players[0].team, "X", 0.0),
        *players[3:],
    ]

    points = _draw(zeroed, "nfl", 300, 2)

    assert not points[:, 3].any()
    assert np.array_equal(np.delete(points, 3, axis=1), _draw(players, "nfl", 300, 2))


def _pair_slate() -> list[Player]:
    rows = [
        ("QB", "A", "B"),
        ("WR", "A", "B"),
        ("DST", "B", "A"),
        ("WR", "B", "A"),
        ("QB", "C", "D"),
    ]
    return [
        Player(f"p{i}", f"p{i}", (pos,), 5000, team, opp, 20.0, 6.0)
        for i, (pos, team, opp) in enumerate(rows)
    ]


PAIRS = [
    ("qb-wr-teammates", 0, 1, True),
    ("qb-opposing-dst", 0, 2, False),
    ("bring-back", 0, 3, False),
]


@pytest.mark.parametrize(("a", "b", "same_team"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_pairs_correlate_as_the_loadings_say(a: int, b: int, same_team: bool) -> None:
    """Simulated pairs keep the correlation their loadings imply (the lognormal transform
    moves it by at most a few hundredths at these stdevs)."""
    players = _pair_slate()
    loads = [NFL_LOADINGS[p.positions[0]] for p in players]

    points = _draw(players, "nfl", 60_000, 9)

    expected = implied_correlation(loads[a], loads[b], same_team)
    assert np.corrcoef(points[:, a], points[:, b])[0, 1] == pytest.approx(expected, abs=0.04)
    assert np.corrcoef(points[:, 0], points[:, 4])[0, 1] == pytest.approx(0.0, abs=0.02)


def test_full_slate_keeps_the_intended_stack_correlation(nfl: list[dict]) -> None:
    """On a full slate the QB-WR pair keeps its intended value: nothing dilutes it."""
    players = to_players(nfl)
    qb = next(i for i, p in enumerate(players) if p.positions == ("QB",))
    wr = next(
        i
        for i, p in enumerate(players)
        if p.positions == ("WR",) and p.team == players[qb].team and p.projection > 5
    )

    points = _draw(players, "nfl", 40_000, 9)

    expected = implied_correlation(NFL_LOADINGS["QB"], NFL_LOADINGS["WR"], True)
    assert np.corrcoef(points[:, qb], points[:, wr])[0, 1] == pytest.approx(expected, abs=0.05)


def test_user_loadings_override_the_defaults() -> None:
    """A user override of a position's loadings changes that position's correlations."""
    players = _pair_slate()
    override = {"WR": {"pass": 0.0, "game": 0.0}}

    points = _draw(players, "nfl", 40_000, 9, overrides=override)

    assert np.corrcoef(points[:, 0], points[:, 1])[0, 1] == pytest.approx(0.0, abs=0.02)


@pytest.mark.parametrize(
    ("override", "message"),
    [({"QB": {"spin": 0.1}}, "unknown factors"), ({"QB": {"rush": 0.7}}, "squared loadings")],
)
def test_bad_loadings_are_named(override: dict, message: str) -> None:
    """Unknown factors and loadings leaving no own variation are refused."""
    assert any(message in problem for problem in loading_problems(override, NFL_OUTCOMES))


def test_missing_stdev_defaults_to_a_share_of_projection() -> None:
    """A player without stdev gets the documented share of his projection."""
    player = Player("a", "a", ("WR",), 5000, "A", "B", 20.0, None)

    share = NFL_OUTCOMES.stdev_shares["WR"]

    assert stdevs([player], NFL_OUTCOMES)[0] == pytest.approx(20.0 * share)


def _game(sport: str, rows: list[tuple[str, str, str]]) -> list[Player]:
    """Players as the optimizer reads them for `sport` (SP as P, RW as W)."""
    raw = [
        {"id": f"p{i}", "positions": [pos], "salary": 5000, "team": team, "opponent": opp,
         "projection": 20.0, "stdev": 6.0}
        for i, (pos, team, opp) in enumerate(rows)
    ]  # fmt: skip
    return to_players(raw, game_type(sport))


SPORT_PAIRS = [
    ("mlb-hitter-teammates", "mlb", [("SS", "A", "B"), ("OF", "A", "B")], True, 0.2),
    ("mlb-pitcher-against-hitter", "mlb", [("SP", "A", "B"), ("OF", "B", "A")], False, -0.2),
    ("nhl-skater-teammates", "nhl", [("C", "A", "B"), ("RW", "A", "B")], True, 0.15),
    ("nhl-goalie-against-skater", "nhl", [("G", "A", "B"), ("C", "B", "A")], False, -0.2),
    ("nfl-kicker-and-his-qb", "nfl", [("K", "A", "B"), ("QB", "A", "B")], True, 0.15),
]


@pytest.mark.parametrize(
    ("sport", "rows", "same_team", "sign_beyond"),
    [p[1:] for p in SPORT_PAIRS],
    ids=[p[0] for p in SPORT_PAIRS],
)
def test_each_sports_positions_correlate_as_its_loadings_say(
    sport: str, rows: list, same_team: bool, sign_beyond: float
) -> None:
    """MLB hitters of a team move together and against the pitcher they face; NHL skaters
    of a team together and against the goalie they face; a kicker with his QB. Simulated
    pairs keep the implied value, which is beyond the documented size."""
    outcomes = game_type(sport).outcomes
    players = _game(sport, rows)
    loads = [outcomes.loadings[p.positions[0]] for p in players]

    points = _draw(players, sport, 60_000, 4)

    expected = implied_correlation(loads[0], loads[1], same_team, outcomes.team_factors)
    assert np.corrcoef(points[:, 0], points[:, 1])[0, 1] == pytest.approx(expected, abs=0.04)
    assert abs(expected) > abs(sign_beyond) and np.sign(expected) == np.sign(sign_beyond)
