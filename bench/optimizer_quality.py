"""The out-of-sample quality table of bench/optimizer_bench.py (part q).

Every portfolio is built by optimize() and scored on the same 20,000 outcomes of the
independent model in bench/independent_model.py.
"""

from __future__ import annotations

import time
from typing import Any

from bench.independent_model import lineup_ids, outcomes, portfolio_stats
from bench.slates import nba_slate, nfl_slate
from webapp.optimizer import OptimizeOptions, optimize

JUDGE_SCENARIOS = 20_000
SCENARIOS = 1000
QB1, QB2, QB2_BB = {"qb_with": 1}, {"qb_with": 2}, {"qb_with": 2, "bring_back": 1}


def _rows(sport: str) -> list[tuple[str, dict[str, Any]]]:
    sim = {"n_scenarios": SCENARIOS}
    rows = [("exact", {"n_scenarios": 0})]
    if sport == "nfl":
        rows += [
            ("exact + QB+1", {"n_scenarios": 0, "stack": QB1}),
            ("exact + QB+2", {"n_scenarios": 0, "stack": QB2}),
            ("exact + QB+2+bb, min_unique 3", {"n_scenarios": 0, "stack": QB2_BB, "min_unique": 3}),
        ]
    else:
        rows += [("exact, min_unique 3", {"n_scenarios": 0, "min_unique": 3})]
    return [
        *rows,
        ("sim mean", {**sim, "selection": "mean"}),
        ("sim percentile 90", {**sim, "selection": "percentile"}),
        ("sim best_frequency", {**sim, "selection": "best_frequency"}),
        ("sim percentile 90, min_unique 3", {**sim, "selection": "percentile", "min_unique": 3}),
    ]


def quality_table(sport: str, seed: int, n_lineups: int) -> list[str]:
    """Printable rows: each portfolio's statistics, then the acceptance ratios."""
    players = nfl_slate(seed) if sport == "nfl" else nba_slate(seed)
    points = outcomes(players, sport, JUDGE_SCENARIOS, seed=seed + 98)
    stats = {}
    lines = [
        f"(q) {sport.upper()} {len(players)} players, {n_lineups} lineups, scored on "
        f"{JUDGE_SCENARIOS:,} independent outcomes",
        f"    {'portfolio':<34} {'time s':>7} {'mean':>8} {'p90':>8} {'p99':>8} "
        f"{'E[max]':>8} {'distinct':>8}",
    ]
    for label, options in _rows(sport):
        start = time.perf_counter()
        result = optimize(
            players, OptimizeOptions(sport=sport, n_lineups=n_lineups, seed=seed, **options)
        )
        seconds = time.perf_counter() - start
        row = portfolio_stats(lineup_ids(result), players, points)
        stats[label] = row
        lines.append(
            f"    {label:<34} {seconds:7.2f} {row['mean']:8.2f} {row['p90']:8.2f} "
            f"{row['p99']:8.2f} {row['emax']:8.2f} {row['distinct']:8d}"
        )
    return lines + _ratios(sport, stats)


def _ratios(sport: str, stats: dict[str, dict[str, float]]) -> list[str]:
    exact = stats["exact"]
    stacked = [k for k in stats if k.startswith("exact") and "min_unique" not in k]
    best_p90 = max(stats[k]["p90"] for k in stacked)
    unique = "exact + QB+2+bb, min_unique 3" if sport == "nfl" else "exact, min_unique 3"
    mine = stats["sim percentile 90, min_unique 3"]
    return [
        f"    mean keeps {stats['sim mean']['mean'] / exact['mean']:.2%} of exact (floor 99%)",
        f"    p90 keeps {stats['sim percentile 90']['p90'] / best_p90:.2%} of the best exact / "
        "stacked p90 (floor 99%)",
        f"    min_unique 3: p90 keeps {mine['p90'] / stats[unique]['p90']:.2%} of {unique!r} "
        f"(floor 99%); E[max] {mine['emax']:.2f} vs {stats[unique]['emax']:.2f} (must beat)",
    ]
