"""Contest simulation speed: our lineups against a modelled field, in a fresh subprocess.

Builds `--lineups` lineups with the exact optimizer (max_exposure 0.5) on the benchmark's
456-player NFL slate with projected ownership (bench/slates.py), then times
webapp.contest.run.run_contest on a `--field`-entry contest over `--sims` sims, by phase: the
field, the sims (ranking and paying every entry), the sims solved for optimal_pct. Peak RSS
is the subprocess's (ru_maxrss), so it includes the interpreter and the slate.

Usage: python -m bench contest [--lineups 150] [--field 100000] [--sims 10000]
       [--optimal-sims 500] [--seed 1] [--repeat 1]   (or python bench/contest_bench.py ...)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# A top-heavy GPP payout table for 100,000 entries at $20: 80% of the fees paid back to 22% of
# the entries, 12.5% of the pool to first place. Other field sizes get the same ladder by rank
# share (payouts()).
LADDER_ENTRIES = 100_000
LADDER = [  # (first rank, last rank, prize as a multiple of the fee)
    (1, 1, 10000), (2, 2, 4000), (3, 5, 750), (6, 10, 200), (11, 50, 50), (51, 200, 15),
    (201, 1000, 6), (1001, 5000, 4), (5001, 22000, 2.2),
]  # fmt: skip
FEE = 20.0
PAID_BACK = 0.8


def payouts(field_size: int) -> list[dict]:
    """LADDER as DraftKings rows for a contest of `field_size` entries: rank r gets the prizes
    of its share of the 100,000-entry ladder (ranks (r-1)/N to r/N of it), scaled to the pool,
    so PAID_BACK of the fees are paid whatever the size."""
    prizes = np.zeros(LADDER_ENTRIES + 1)
    for first, last, multiple in LADDER:
        prizes[first : last + 1] = multiple * FEE
    prizes *= PAID_BACK * FEE * LADDER_ENTRIES / prizes.sum()
    cumulative = np.cumsum(prizes)  # cumulative[k]: ranks 1..k of the ladder
    edges = np.arange(field_size + 1) * LADDER_ENTRIES / field_size
    share = np.interp(edges, np.arange(LADDER_ENTRIES + 1), cumulative)
    per_rank = np.round(np.diff(share) * field_size / LADDER_ENTRIES, 2)
    rows: list[dict] = []
    for rank, prize in enumerate(per_rank.tolist(), start=1):
        if prize <= 0:
            break
        if rows and rows[-1]["prize"] == prize and rows[-1]["max_rank"] == rank - 1:
            rows[-1]["max_rank"] = rank
        else:
            rows.append({"min_rank": rank, "max_rank": rank, "prize": prize})
    return rows


def _measure(args: argparse.Namespace) -> dict:
    """Run one contest in this process and return its timings."""
    from bench.slates import nfl_slate, with_ownership
    from webapp.contest.run import run_contest
    from webapp.optimizer import OptimizeOptions, optimize

    players = with_ownership(nfl_slate(seed=args.seed), "nfl")
    options = OptimizeOptions(n_lineups=args.lineups, n_scenarios=0, max_exposure=0.5)
    lineups = [[e["id"] for e in row["players"]] for row in optimize(players, options)["lineups"]]
    request = {
        "sport": "nfl",
        "lineups": lineups,
        "contest": {
            "field_size": args.field, "entry_fee": FEE, "max_entries": 150,
            "payouts": payouts(args.field), "n_sims": args.sims, "seed": args.seed,
            "optimal_sims": args.optimal_sims,
        },
    }  # fmt: skip
    marks: dict[str, float] = {}

    def progress(_fraction: float, phase: str) -> None:
        marks.setdefault(phase, time.perf_counter())

    start, cpu = time.perf_counter(), time.process_time()
    result = run_contest(players, request, progress)
    end = time.perf_counter()
    return {
        "total_s": end - start,
        "cpu_s": time.process_time() - cpu,
        "field_s": marks["simulating"] - start,
        "sims_s": end - marks["simulating"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "unique_lineups": result["field"]["unique_lineups"],
        "ownership_mae": result["field"]["ownership_mae"],
        "portfolio_roi": result["portfolio"]["roi"],
        "portfolio_roi_se": result["portfolio"]["roi_se"],
        "paid_back": sum(
            (r["max_rank"] - r["min_rank"] + 1) * r["prize"] for r in request["contest"]["payouts"]
        )
        / (FEE * args.field),
    }


def run(args: argparse.Namespace, _tmp: Path) -> None:
    """`python -m bench contest`: the runs, each in a fresh subprocess."""
    options = [
        *("--lineups", args.lineups, "--field", args.field, "--sims", args.sims),
        *("--optimal-sims", args.optimal_sims, "--seed", args.seed),
    ]
    for number in range(args.repeat):
        command = [sys.executable, __file__, "--child", *map(str, options)]
        child = subprocess.run(command, capture_output=True, text=True, check=True)
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        shown = (f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items())
        print(f"run {number + 1}: " + ", ".join(shown))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lineups", type=int, default=150)
    parser.add_argument("--field", type=int, default=100_000)
    parser.add_argument("--sims", type=int, default=10_000)
    parser.add_argument("--optimal-sims", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="fresh subprocesses, one a run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_measure(args)))
        return 0
    run(args, Path("."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
