"""Out of sample: do portfolios chosen by simulated contest ROI win more in contests they never
saw than exact and stacked portfolios?

For each sport, portfolios of `--lineups` lineups are built on the benchmark slate with
projected ownership (bench/slates.py): exact (n_scenarios 0), exact with a QB + 2 + bring-back
stack (NFL), simulation with selection percentile 90, and selection "roi" (the contest below,
`--scenarios` sims on the optimizer's own model and a field drawn with the request's seed).
Each is then entered in the same `--eval-sims` contests it never saw: outcomes from
bench/independent_model.py (its own factors, loadings and gamma marginals) and a field drawn
from the same ownership with another seed. All portfolios meet the same field and outcomes,
so differences are paired: the table gives each portfolio's ROI (summed payouts against
summed fees) with its standard error, and its difference from exact with the standard error
of the paired difference.

Usage: python bench/contest_selection.py [--sports nfl,nba] [--lineups 20] [--field 20000]
       [--scenarios 10000] [--eval-sims 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.contest_bench import FEE, payouts
from bench.independent_model import lineup_ids, outcomes
from bench.slates import nba_slate, nfl_slate, with_ownership
from webapp.contest.field import FieldKnobs, model_field
from webapp.contest.payouts import Payouts
from webapp.contest.ranking import Ranker
from webapp.contest.simulate import RANK_SIMS
from webapp.contest.slate import ContestSlate
from webapp.optimizer import OptimizeOptions, optimize

EVAL_SEED_OFFSET = 7919  # the evaluation's field and outcomes: seeds the selection never used


def portfolios(sport: str, args: argparse.Namespace, contest: dict) -> dict[str, dict]:
    """name -> optimizer options of each portfolio compared."""
    common = {"sport": sport, "n_lineups": args.lineups, "seed": args.seed}
    sim = {**common, "n_scenarios": args.scenarios}
    built = {"exact": {**common, "n_scenarios": 0}}
    if sport == "nfl":
        built["exact + QB+2+bb stack"] = {
            **common, "n_scenarios": 0, "stack": {"qb_with": 2, "bring_back": 1},
        }  # fmt: skip
    built["sim percentile 90"] = {**sim, "selection": "percentile"}
    built["sim roi"] = {**sim, "selection": "roi", "contest": contest}
    return built


def evaluate(
    slate: ContestSlate, lineups: list[list[str]], field, points: np.ndarray, table: Payouts
) -> np.ndarray:
    """Each eval sim's summed payout of the portfolio's entries (they compete with each other
    and with the field)."""
    ours = np.array([sorted(slate.index[i] for i in ids) for ids in lineups])
    ranker = Ranker(field.lineups, field.counts, ours)
    totals = []
    for start in range(0, len(points), RANK_SIMS):
        _, greater, tied = ranker.rank(points[start : start + RANK_SIMS])
        totals.append(table.split(greater, tied).sum(axis=1))
    return np.concatenate(totals)


def _roi(totals: np.ndarray, fees: float) -> tuple[float, float]:
    returns = 100 * (totals - fees) / fees
    return float(returns.mean()), float(returns.std(ddof=1) / np.sqrt(len(returns)))


def run_sport(sport: str, args: argparse.Namespace) -> list[str]:
    """The table rows of one sport."""
    raw = nfl_slate(seed=args.seed) if sport == "nfl" else nba_slate(seed=args.seed)
    players = with_ownership(raw, sport)
    table_rows = payouts(args.field)
    contest = {"field_size": args.field, "entry_fee": FEE, "max_entries": 150,
               "payouts": table_rows}  # fmt: skip
    slate = ContestSlate(players, sport)
    eval_seed = args.seed + EVAL_SEED_OFFSET
    field = model_field(
        slate, args.field - args.lineups, FieldKnobs(), np.random.default_rng(eval_seed)
    )
    points = outcomes(players, sport, args.eval_sims, eval_seed).astype(np.float32)
    table, fees = Payouts(table_rows, args.field), FEE * args.lineups
    results = {}
    for name, fields in portfolios(sport, args, contest).items():
        start = time.perf_counter()
        lineups = lineup_ids(optimize(players, OptimizeOptions(**fields)))
        built_s = time.perf_counter() - start
        results[name] = (evaluate(slate, lineups, field, points, table), len(lineups), built_s)
    roi_totals = results["sim roi"][0]
    rows = []
    for name, (totals, count, built_s) in results.items():
        roi, se = _roi(totals, fees)
        rows.append(
            f"| {sport} | {name} | {count} | {roi:.1f} +- {se:.1f} | "
            f"{_paired(totals, results['exact'][0], fees)} | {_paired(roi_totals, totals, fees)} | "
            f"{100 * (totals > fees).mean():.1f} | {built_s:.1f} s |"
        )
    return rows


def _paired(a: np.ndarray, b: np.ndarray, fees: float) -> str:
    """ROI of a minus ROI of b, sim by sim, with its standard error ("-" when a is b)."""
    if a is b:
        return "-"
    d = 100 * (a - b) / fees
    return f"{d.mean():+.1f} +- {d.std(ddof=1) / np.sqrt(len(d)):.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sports", default="nfl,nba")
    parser.add_argument("--lineups", type=int, default=20)
    parser.add_argument("--field", type=int, default=20_000)
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("--eval-sims", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(
        "| sport | portfolio | lineups | ROI % (+- se) | minus exact | roi minus this "
        "| p_profit % | built in |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for sport in args.sports.split(","):
        for row in run_sport(sport, args):
            print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
