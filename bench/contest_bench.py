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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# A top-heavy GPP payout table for 100,000 entries at $20 (80% of the fees paid back, 22% of
# the entries paid), scaled to other field sizes by rank share.
PAYOUT_SHARES = [  # (first rank share, last rank share, prize as a multiple of the fee)
    (0.00001, 0.00001, 10000), (0.00002, 0.00002, 4000), (0.00003, 0.00005, 750),
    (0.00006, 0.0001, 200), (0.00011, 0.0005, 50), (0.00051, 0.002, 15),
    (0.00201, 0.01, 6), (0.01001, 0.05, 4), (0.05001, 0.22, 2.2),
]  # fmt: skip
FEE = 20.0


def payouts(field_size: int) -> list[dict]:
    """PAYOUT_SHARES as DraftKings rows for a contest of `field_size` entries."""
    rows, last = [], 0
    for low, high, multiple in PAYOUT_SHARES:
        first, end = max(last + 1, round(low * field_size)), max(last + 1, round(high * field_size))
        if first > field_size:
            break
        end = min(end, field_size)
        rows.append({"min_rank": first, "max_rank": end, "prize": multiple * FEE})
        last = end
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
