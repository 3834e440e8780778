"""An outcome model independent of the optimizer's, for judging lineups out of sample.

A Gaussian copula with its own factors and loadings (game, team passing, team rushing,
plus a per-team "usage" factor that makes NBA teammates compete), and gamma marginals with
mean = projection and sd = stdev (by the Wilson-Hilferty transform of the normal score),
so it shares neither code nor parameters with webapp.optimizer.scenarios. Used by the
acceptance tests and bench/optimizer_bench.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# position -> (game, own pass, own rush, opposing pass) loadings
NFL = {
    "QB": (0.35, 0.70, 0.05, 0.0),
    "RB": (0.25, 0.05, 0.55, 0.0),
    "WR": (0.15, 0.55, 0.0, 0.0),
    "TE": (0.15, 0.40, 0.0, 0.0),
    "DST": (-0.25, 0.0, 0.0, -0.45),
}
NBA_GAME, NBA_USAGE = 0.30, -0.15  # usage: teammates share one factor with a negative sign
DEFAULT_SHARE = 0.45  # stdev as a share of projection when a player has none


def _scores(players: Sequence[dict], sport: str, n: int, rng: np.random.Generator) -> np.ndarray:
    games = sorted({tuple(sorted((p["team"], p["opponent"]))) for p in players})
    teams = sorted({p["team"] for p in players} | {p["opponent"] for p in players})
    game_f = rng.standard_normal((n, len(games)))
    pass_f = rng.standard_normal((n, len(teams)))
    rush_f = rng.standard_normal((n, len(teams)))
    z = rng.standard_normal((n, len(players)))
    for j, p in enumerate(players):
        g = games.index(tuple(sorted((p["team"], p["opponent"]))))
        t, o = teams.index(p["team"]), teams.index(p["opponent"])
        if sport == "nfl":
            a, b, c, d = NFL[p["positions"][0]]
            common = a * game_f[:, g] + b * pass_f[:, t] + c * rush_f[:, t] + d * pass_f[:, o]
            own = 1 - (a * a + b * b + c * c + d * d)
        else:
            # usage: alternating sign by player, so teammates split one team factor
            sign = 1.0 if j % 2 else -1.0
            common = NBA_GAME * game_f[:, g] + sign * abs(NBA_USAGE) * pass_f[:, t]
            own = 1 - NBA_GAME**2 - NBA_USAGE**2
        z[:, j] = common + np.sqrt(own) * z[:, j]
    return z


def outcomes(players: Sequence[dict], sport: str, n: int, seed: int) -> np.ndarray:
    """n x players fantasy points: gamma marginals (mean projection, sd stdev), copula above."""
    rng = np.random.default_rng(seed + 10_007)
    z = _scores(players, sport, n, rng)
    mean = np.array([max(p["projection"], 0.0) for p in players])
    sd = np.array([p.get("stdev") or DEFAULT_SHARE * m for p, m in zip(players, mean, strict=True)])
    active = mean > 0
    shape = np.where(active, (mean / np.where(sd > 0, sd, 1)) ** 2, 1.0)
    scale = np.where(active, sd**2 / np.where(mean > 0, mean, 1), 0.0)
    k = shape[None, :]
    cube = np.clip(1 - 1 / (9 * k) + z * np.sqrt(1 / (9 * k)), 0, None) ** 3
    return cube * k * scale[None, :]


def portfolio_stats(
    lineups: Sequence[Sequence[str]], players: Sequence[dict], points: np.ndarray
) -> dict:
    """Average mean, p90, p99 of the lineups, E[max over the portfolio], distinct players."""
    index = {p["id"]: j for j, p in enumerate(players)}
    totals = np.stack([points[:, [index[i] for i in lineup]].sum(axis=1) for lineup in lineups])
    return {
        "mean": float(totals.mean(axis=1).mean()),
        "p90": float(np.percentile(totals, 90, axis=1).mean()),
        "p99": float(np.percentile(totals, 99, axis=1).mean()),
        "emax": float(totals.max(axis=0).mean()),
        "distinct": len({i for lineup in lineups for i in lineup}),
    }


def lineup_ids(result: dict) -> list[list[str]]:
    """The player ids of each lineup of an optimize() result."""
    return [[e["id"] for e in lineup["players"]] for lineup in result["lineups"]]
