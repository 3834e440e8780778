"""Optimizer benchmarks, side by side in one run; prints a table.

Needs `pip install pydfs-lineup-optimizer` for the comparison in (a) (a benchmark-only
dependency; without it that comparison is skipped with a message).

(a) 150 lineups by projection (n_scenarios=0), ours vs pydfs-lineup-optimizer, on the same NFL
    and NBA slates with the same rules (DraftKings Classic, cap 50,000, two games, lineups
    differing by at least one player): wall time, ratio, best lineup's projection total.
(b) 150 lineups from 1,000 scenarios on the NFL slate (wall time).
(c) 10,000 scenarios x ~460 NFL players drawn (wall time).
(d) peak memory of a 100,000-scenario, 150-lineup NFL job (ru_maxrss growth, measured in a
    fresh subprocess so nothing else is counted).

Usage: python bench/optimizer_bench.py [--seed 1] [--lineups 150] [--pydfs-timeout 1800]
       [--parts abcd]
Each pydfs run happens in its own subprocess and is stopped after --pydfs-timeout seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def _compare(sport: str, args: argparse.Namespace) -> list[str]:
    ours_s, result = _ours(sport, args.seed, args.lineups)
    ours_best = result["lineups"][0]["projection"]
    theirs = _pydfs(sport, args.seed, args.lineups, args.pydfs_timeout)
    label = f"(a) {sport.upper()} {args.lineups} lineups, n_scenarios=0"
    rows = [
        f"{label:<44} ours     {ours_s:8.2f} s   best {ours_best:.2f}   ({len(result['lineups'])} lineups)"
    ]
    if isinstance(theirs, str):
        rows.append(f"{'':<44} pydfs    {theirs}")
        return rows
    same = "same" if abs(theirs["best"] - ours_best) < 1e-6 else "DIFFERENT"
    rows.append(
        f"{'':<44} pydfs    {theirs['seconds']:8.2f} s   best {theirs['best']:.2f}   "
        f"({theirs['count']} lineups)"
    )
    rows.append(f"{'':<44} ratio    {theirs['seconds'] / ours_s:8.1f} x faster; best total {same}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lineups", type=int, default=150)
    parser.add_argument("--pydfs-timeout", type=float, default=1800.0)
    parser.add_argument("--parts", default="abcd", help="which of (a)-(d) to run, e.g. bcd")
    parser.add_argument("--pydfs-worker", nargs=3)
    parser.add_argument("--memory-worker", nargs=3, type=int)
    args = parser.parse_args()
    if args.pydfs_worker:
        sport, seed, n = args.pydfs_worker
        _pydfs_worker(sport, int(seed), int(n))
        return
    if args.memory_worker:
        _memory_worker(*args.memory_worker)
        return
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at start")
    rows = _compare("nfl", args) + _compare("nba", args) if "a" in args.parts else []
    if "b" in args.parts:
        seconds, result = _ours("nfl", args.seed, args.lineups, 1000)
        rows.append(
            f"{'(b) NFL ' + str(args.lineups) + ' lineups from 1,000 scenarios':<44} ours     "
            f"{seconds:8.2f} s   ({result['n_candidates']} candidates)"
        )
    if "c" in args.parts:
        seconds, n_players = _simulation_time(args.seed, 10_000)
        rows.append(
            f"{'(c) simulate 10,000 x ' + str(n_players) + ' players':<44} ours     {seconds:8.2f} s"
        )
    if "d" in args.parts:
        rows.append(_memory_row(args))
    print(f"load average {os.getloadavg()[0]:.1f} at end")
    print("\n".join(rows))


def _memory_row(args: argparse.Namespace) -> str:
    memory = _memory(args.seed, args.lineups, 100_000)
    return (
        f"{'(d) 100,000-scenario NFL job, ' + str(args.lineups) + ' lineups':<44} peak RSS growth "
        f"{memory['peak_mb']:.0f} MB (process peak {memory['rss_mb']:.0f} MB), {memory['seconds']:.1f} s"
    )


if __name__ == "__main__":
    main()
