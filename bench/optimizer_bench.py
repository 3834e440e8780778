"""Optimizer benchmarks, side by side in one run; prints tables.

Needs `pip install pydfs-lineup-optimizer` for the comparison in (a) (a benchmark-only
dependency; without it that comparison is skipped with a message).

(a) Exact lineups by projection (n_scenarios=0): ours 20 and 150 against pydfs-lineup-
    optimizer 20 (and 150 with --pydfs-150) on the same NFL and NBA slates with the same
    rules (DraftKings Classic, cap 50,000, two games, lineups differing by one player):
    wall time, ratio of our 150 to their 20, best lineup's projection total.
(b) Simulation: 150 lineups from 1,000 and from 10,000 scenarios on the NFL slate, and
    their time as a multiple of our exact 150.
(c) 10,000 scenarios x ~500 NFL players drawn (wall time).
(d) Peak memory of a 100,000-scenario, 150-lineup NFL job (ru_maxrss growth, measured in a
    fresh subprocess so nothing else is counted).
(e) Before / after, with --against DIR (another checkout of this project, e.g. made by
    `git worktree add /tmp/before <commit>`): exact and simulated 150 lineups, min_unique 1
    and 3, each run in a fresh process of either tree in turn, --repeat times; medians and
    the ratio old / new. Noise on a shared machine is high: compare the ratios.
(q) Quality out of sample: --quality-lineups lineups (default 20) from 1,000 scenarios,
    scored on 20,000 outcomes of bench/independent_model.py (its own
    factors, loadings and gamma marginals): average mean, p90, p99 of the lineups, E[max
    over the portfolio] and distinct players, for exact, exact + stacks and each selection,
    with the acceptance ratios.

Usage: python bench/optimizer_bench.py [--seed 1] [--lineups 150] [--pydfs-timeout 600]
       [--parts abcdeq] [--pydfs-150] [--quality-lineups 20] [--against DIR --repeat 3]
Each pydfs run happens in its own subprocess and is stopped after --pydfs-timeout seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.optimizer_quality import quality_table  # noqa: E402
from bench.slates import nba_slate, nfl_slate  # noqa: E402
from webapp.optimizer import OptimizeOptions, optimize  # noqa: E402


def _slate(sport: str, seed: int) -> list[dict]:
    return nfl_slate(seed) if sport == "nfl" else nba_slate(seed)


def _ours(sport: str, seed: int, n: int, scenarios: int = 0) -> tuple[float, dict]:
    players = _slate(sport, seed)
    options = OptimizeOptions(sport=sport, n_lineups=n, n_scenarios=scenarios, seed=seed)
    start = time.perf_counter()
    result = optimize(players, options)
    return time.perf_counter() - start, result


def _pydfs_worker(sport: str, seed: int, n: int) -> None:
    """Run pydfs in this process and print {"seconds", "best", "count"} as JSON."""
    from pydfs_lineup_optimizer import Player, Site, Sport, get_optimizer
    from pydfs_lineup_optimizer.player import GameInfo

    site_sport = Sport.FOOTBALL if sport == "nfl" else Sport.BASKETBALL
    optimizer = get_optimizer(Site.DRAFTKINGS, site_sport)
    games: dict[tuple[str, str], GameInfo] = {}
    players = []
    for p in _slate(sport, seed):
        home, away = sorted((p["team"], p["opponent"]))
        # pydfs keys games by GameInfo identity: one shared object per game, or every player
        # becomes his own game. Its LP files also refuse '-' and ' ' in names.
        game = games.setdefault((home, away), GameInfo(home, away, None))
        players.append(
            Player(
                p["id"].replace("-", "_"),
                p["name"].replace(" ", "_"),
                "",
                list(p["positions"]),
                p["team"],
                p["salary"],
                p["projection"],
                game_info=game,
            )
        )
    optimizer.player_pool.load_players(players)
    start = time.perf_counter()
    lineups = list(optimizer.optimize(n=n))
    seconds = time.perf_counter() - start
    best = round(lineups[0].fantasy_points_projection, 3) if lineups else None
    print(json.dumps({"seconds": seconds, "best": best, "count": len(lineups)}))


def _pydfs(sport: str, seed: int, n: int, timeout: float) -> dict | str:
    try:
        import pydfs_lineup_optimizer  # noqa: F401
    except ImportError:
        return "skipped: pip install pydfs-lineup-optimizer"
    command = [sys.executable, __file__, "--pydfs-worker", sport, str(seed), str(n)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return f"stopped after {timeout:.0f} s"
    except subprocess.CalledProcessError as error:
        return f"failed: {error.stderr.strip().splitlines()[-1]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _memory_worker(seed: int, n: int, scenarios: int) -> None:
    """Run one big job in this fresh process; print the peak RSS growth in MB."""
    players = nfl_slate(seed)
    options = OptimizeOptions(n_lineups=n, n_scenarios=scenarios, seed=seed)
    optimize(players, OptimizeOptions(n_lineups=1, n_scenarios=10, seed=seed))  # warm imports
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    optimize(players, options)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps({"peak_mb": (after - before) / 1024, "rss_mb": after / 1024, "seconds": seconds})
    )


def _memory(seed: int, n: int, scenarios: int) -> dict:
    command = [sys.executable, __file__, "--memory-worker", str(seed), str(n), str(scenarios)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _simulation_time(seed: int, scenarios: int) -> tuple[float, int]:
    from webapp.optimizer.players import to_players
    from webapp.optimizer.simulation import Simulator

    players = to_players(nfl_slate(seed))
    start = time.perf_counter()
    simulator = Simulator(players, "nfl")
    rows = sum(len(batch) for batch in simulator.batches(scenarios, seed))
    assert rows == scenarios
    return time.perf_counter() - start, len(players)


# Runs one optimize in the tree given as argv[1] (so an older checkout can run it too).
_TIMED = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from bench.slates import nfl_slate
from webapp.optimizer import OptimizeOptions, optimize
n, scenarios, min_unique, seed = (int(x) for x in sys.argv[2:6])
options = OptimizeOptions(n_lineups=n, n_scenarios=scenarios, seed=seed, min_unique=min_unique)
players = nfl_slate(seed)
start = time.perf_counter()
result = optimize(players, options)
print(json.dumps({"seconds": time.perf_counter() - start, "count": len(result["lineups"])}))
"""
BEFORE_AFTER = ((150, 0, 1), (150, 1000, 1), (150, 0, 3), (150, 1000, 3))


def _timed(root: Path, case: tuple[int, int, int], seed: int) -> dict:
    command = [sys.executable, "-c", _TIMED, str(root), *(str(x) for x in (*case, seed))]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=root)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _before_after(args: argparse.Namespace) -> list[str]:
    """(e): medians of --repeat runs of each case in the other tree and this one, in turn."""
    other = Path(args.against).resolve()
    rows = []
    for case in BEFORE_AFTER:
        times: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(args.repeat):
            for name, root in (("before", other), ("after", ROOT)):
                times[name].append(_timed(root, case, args.seed)["seconds"])
        old, new = (statistics.median(times[k]) for k in ("before", "after"))
        n, scenarios, min_unique = case
        label = f"(e) NFL {n} lineups, {scenarios:,} scenarios, min_unique {min_unique}"
        rows.append(
            f"{label:<52} before {old:7.2f} s   after {new:7.2f} s   {old / new:5.1f} x faster"
            f"   (medians of {args.repeat})"
        )
    return rows


def _compare(sport: str, args: argparse.Namespace) -> tuple[list[str], float]:
    """Rows of (a) for one sport, and our exact-150 time."""
    rows = []
    times = {}
    for n in (20, args.lineups):
        ours_s, result = _ours(sport, args.seed, n)
        times[n] = ours_s
        best = result["lineups"][0]["projection"]
        label = f"(a) {sport.upper()} exact {n} lineups"
        rows.append(f"{label:<44} ours     {ours_s:8.2f} s   best {best:.2f}")
    theirs_n = (20, args.lineups) if args.pydfs_150 else (20,)
    for n in theirs_n:
        theirs = _pydfs(sport, args.seed, n, args.pydfs_timeout)
        if isinstance(theirs, str):
            rows.append(f"{'':<44} pydfs {n:<3} {theirs}")
            continue
        rows.append(
            f"{'':<44} pydfs {n:<3} {theirs['seconds']:7.2f} s   best {theirs['best']:.2f}   "
            f"({theirs['count']} lineups)"
        )
        if n == 20:
            ratio = times[args.lineups] / theirs["seconds"]
            rows.append(f"{'':<44} ours {args.lineups} / pydfs 20: {ratio:.2f} (target <= 1)")
    return rows, times[args.lineups]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lineups", type=int, default=150)
    parser.add_argument("--pydfs-timeout", type=float, default=600.0)
    parser.add_argument("--parts", default="abcdq", help="which of (a)-(d), (q) to run")
    parser.add_argument("--pydfs-150", action="store_true", help="also time pydfs on 150")
    parser.add_argument("--quality-lineups", type=int, default=20)
    parser.add_argument("--pydfs-worker", nargs=3)
    parser.add_argument("--memory-worker", nargs=3, type=int)
    parser.add_argument("--against", help="(e): another checkout to time against")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.pydfs_worker:
        sport, seed, n = args.pydfs_worker
        _pydfs_worker(sport, int(seed), int(n))
        return
    if args.memory_worker:
        _memory_worker(*args.memory_worker)
        return
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at start")
    rows: list[str] = []
    exact_150 = None
    if "a" in args.parts:
        nfl_rows, exact_150 = _compare("nfl", args)
        rows += nfl_rows + _compare("nba", args)[0]
    if "b" in args.parts:
        if exact_150 is None:
            exact_150, _ = _ours("nfl", args.seed, args.lineups)
        for scenarios in (1000, 10_000):
            seconds, result = _ours("nfl", args.seed, args.lineups, scenarios)
            label = f"(b) NFL {args.lineups} lineups from {scenarios:,} scenarios"
            rows.append(
                f"{label:<44} ours     {seconds:8.2f} s   = {seconds / exact_150:.1f} x exact "
                f"{args.lineups} (target <= 1.5 at 1,000)   ({result['n_candidates']} candidates)"
            )
    if "c" in args.parts:
        seconds, n_players = _simulation_time(args.seed, 10_000)
        rows.append(
            f"{'(c) simulate 10,000 x ' + str(n_players) + ' players':<44} ours     {seconds:8.2f} s"
        )
    if "d" in args.parts:
        rows.append(_memory_row(args))
    if "e" in args.parts and args.against:
        rows += _before_after(args)
    print(f"load average {os.getloadavg()[0]:.1f} at end")
    print("\n".join(rows))
    if "q" in args.parts:
        for sport in ("nfl", "nba"):
            print("\n".join(quality_table(sport, args.seed, args.quality_lineups)))


def _memory_row(args: argparse.Namespace) -> str:
    memory = _memory(args.seed, args.lineups, 100_000)
    return (
        f"{'(d) 100,000-scenario NFL job, ' + str(args.lineups) + ' lineups':<44} peak RSS growth "
        f"{memory['peak_mb']:.0f} MB (process peak {memory['rss_mb']:.0f} MB), {memory['seconds']:.1f} s"
    )


if __name__ == "__main__":
    main()
