"""Optimizer benchmarks, side by side in one run; prints tables.

(a) Exact lineups (n_scenarios=0): ours 20 and 150 against pydfs-lineup-optimizer 20 on the
    same slate and rules, for every game type (NFL and NBA classic and showdown, MLB, NHL):
    wall time, ours 150 / pydfs 20, best lineup's total. Needs pydfs-lineup-optimizer importable
    (benchmark-only, never a dependency; skipped with a message without).
(b) Simulation: 150 lineups from 1,000 and 10,000 scenarios (NFL), as a multiple of exact 150.
(c) 10,000 scenarios x ~460 NFL players drawn (wall time).
(d) Peak RSS growth of a 100,000-scenario, 150-lineup NFL job, in a fresh subprocess.
(t) Ties: one exact lineup of 1,000 players projected alike with salaries to the dollar
    (bench.slates.tied_slate), ours against pydfs, with our peak RSS growth in a fresh
    process; and ours 20 lineups from 500 scenarios on it.
(q) Quality out of sample: 20 lineups from 1,000 scenarios, scored on 20,000 outcomes of
    bench/independent_model.py: average mean, p90, p99, E[max], distinct players, for exact,
    exact + stacks and each selection, with the acceptance ratios.

Usage: python bench/optimizer_bench.py [--seed 1] [--parts abcdtq] [--pydfs-timeout 600]
       [--game-types nfl,nba,nfl-showdown,nba-showdown,mlb,nhl,tied]
Each pydfs run happens in its own subprocess, stopped after --pydfs-timeout seconds.
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

# The project's modules are imported where used: the pydfs worker runs in a python that may
# have pydfs-lineup-optimizer but not the service's dependencies.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.independent_model import lineup_ids, outcomes, portfolio_stats
from bench.slates import mlb_slate, nba_slate, nfl_slate, nhl_slate, showdown_slate, tied_slate

LINEUPS, QUALITY_LINEUPS, JUDGE_SCENARIOS, SIM = 150, 20, 20_000, {"n_scenarios": 1000}
EXACT = {"n_scenarios": 0}
QB1, QB2, QB2_BB = {"qb_with": 1}, {"qb_with": 2}, {"qb_with": 2, "bring_back": 1}
PORTFOLIOS = {
    "nfl": [("exact", EXACT), ("exact + QB+1", {**EXACT, "stack": QB1}),
            ("exact + QB+2", {**EXACT, "stack": QB2}),
            ("exact + QB+2+bb, min_unique 3", {**EXACT, "stack": QB2_BB, "min_unique": 3})],
    "nba": [("exact", EXACT), ("exact, min_unique 3", {**EXACT, "min_unique": 3})],
}  # fmt: skip
SIMULATED = [("sim mean", {**SIM, "selection": "mean"}),
             ("sim percentile 90", {**SIM, "selection": "percentile"}),
             ("sim best_frequency", {**SIM, "selection": "best_frequency"}),
             ("sim percentile 90, min_unique 3", {**SIM, "selection": "percentile", "min_unique": 3})]  # fmt: skip


# game type -> (sport, contest_type, slate, pydfs site and sport names)
GAME_TYPES = {
    "nfl": ("nfl", "classic", nfl_slate, "DRAFTKINGS", "FOOTBALL"),
    "nba": ("nba", "classic", nba_slate, "DRAFTKINGS", "BASKETBALL"),
    "nfl-showdown": ("nfl", "showdown", lambda seed: showdown_slate("nfl", seed),
                     "DRAFTKINGS_CAPTAIN_MODE", "FOOTBALL"),
    "nba-showdown": ("nba", "showdown", lambda seed: showdown_slate("nba", seed),
                     "DRAFTKINGS_CAPTAIN_MODE", "BASKETBALL"),
    "mlb": ("mlb", "classic", mlb_slate, "DRAFTKINGS", "BASEBALL"),
    "tied": ("nfl", "classic", tied_slate, "DRAFTKINGS", "FOOTBALL"),
    "nhl": ("nhl", "classic", nhl_slate, "DRAFTKINGS", "HOCKEY"),
}  # fmt: skip


def _slate(game: str, seed: int) -> list[dict]:
    return GAME_TYPES[game][2](seed)


def _ours(game: str, seed: int, n: int, scenarios: int = 0) -> tuple[float, dict]:
    from webapp.optimizer import OptimizeOptions, optimize

    sport, contest = GAME_TYPES[game][:2]
    options = OptimizeOptions(
        sport=sport, contest_type=contest, n_lineups=n, n_scenarios=scenarios, seed=seed
    )
    players, start = _slate(game, seed), time.perf_counter()
    result = optimize(players, options)
    return time.perf_counter() - start, result


def _pydfs_worker(game_type: str, seed: int, n: int) -> dict:
    """Run pydfs in this process: {"seconds", "best", "count"}."""
    from pydfs_lineup_optimizer import Player, Site, Sport, get_optimizer
    from pydfs_lineup_optimizer.player import GameInfo

    site, sport = GAME_TYPES[game_type][3:]
    optimizer = get_optimizer(getattr(Site, site), getattr(Sport, sport))
    games: dict[tuple[str, str], GameInfo] = {}
    players = []
    for p in _slate(game_type, seed):
        # pydfs keys games by GameInfo identity: one shared object per game, or every player
        # becomes his own game. Its LP files also refuse '-' and ' ' in names. In captain mode
        # a row's positions are its slot kind, a CPT row's points 1.5 times (as its importer
        # reads DraftKings' file), and rows of one name are one player.
        home, away = sorted((p["team"], p["opponent"]))
        game = games.setdefault((home, away), GameInfo(home, away, None))
        row = p.get("roster_position")
        positions = [row] if row else list(p["positions"])
        points = p["projection"] * (1.5 if row == "CPT" else 1.0)
        players.append(Player(p["id"].replace("-", "_"), p["name"].replace(" ", "_"), "", positions,
                              p["team"], p["salary"], points, game_info=game))  # fmt: skip
    optimizer.player_pool.load_players(players)
    start = time.perf_counter()
    lineups = list(optimizer.optimize(n=n))
    best = round(lineups[0].fantasy_points_projection, 3) if lineups else None
    return {"seconds": time.perf_counter() - start, "best": best, "count": len(lineups)}


def _memory_worker(seed: int, n: int, scenarios: int, tied: int = 0) -> dict:
    """Run one big job in this fresh process (on the tied slate when `tied`): peak RSS
    growth in MB."""
    from webapp.optimizer import OptimizeOptions, optimize

    players = tied_slate(seed) if tied else nfl_slate(seed)
    warm = nfl_slate(seed)
    optimize(warm, OptimizeOptions(n_lineups=1, n_scenarios=10, seed=seed))  # warm imports
    before, start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter()
    optimize(players, OptimizeOptions(n_lineups=n, n_scenarios=scenarios, seed=seed))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"peak_mb": (after - before) / 1024, "rss_mb": after / 1024, "seconds": time.perf_counter() - start}  # fmt: skip


def _in_subprocess(
    worker: str, *args: object, timeout: float | None = None, python: str | None = None
) -> dict | str:
    """Run a worker of this file in another process; `python` (one with pydfs installed)
    imports the project from this checkout."""
    command = [python or sys.executable, __file__, f"--{worker}", *map(str, args)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return f"stopped after {timeout:.0f} s"
    except subprocess.CalledProcessError as error:
        return f"failed: {error.stderr.strip().splitlines()[-1]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _compare(game: str, args: argparse.Namespace) -> tuple[list[str], float]:
    """Rows of (a) for one game type, and our exact-150 time."""
    rows, times = [], {}
    for n in (20, LINEUPS):
        times[n], result = _ours(game, args.seed, n)
        label, best = f"(a) {game.upper()} exact {n} lineups", result["lineups"][0]["projection"]
        rows.append(f"{label:<44} ours     {times[n]:8.2f} s   best {best:.2f}")
    theirs = _in_subprocess(
        "pydfs-worker", game, args.seed, 20, timeout=args.pydfs_timeout, python=args.pydfs_python
    )
    if isinstance(theirs, str):
        return [*rows, f"{'':<44} pydfs 20  {theirs}"], times[LINEUPS]
    ratio = times[LINEUPS] / theirs["seconds"]
    rows += [f"{'':<44} pydfs 20  {theirs['seconds']:7.2f} s   best {theirs['best']:.2f}   ({theirs['count']} lineups)",
             f"{'':<44} ours {LINEUPS} / pydfs 20: {ratio:.2f} (target <= 1)"]  # fmt: skip
    return rows, times[LINEUPS]


def quality_table(sport: str, seed: int) -> list[str]:
    """(q): each portfolio's statistics on the independent model's outcomes, then the ratios."""
    from webapp.optimizer import OptimizeOptions, optimize

    players = _slate(sport, seed)
    points = outcomes(players, sport, JUDGE_SCENARIOS, seed=seed + 98)
    lines = [f"(q) {sport.upper()} {len(players)} players, {QUALITY_LINEUPS} lineups, scored on {JUDGE_SCENARIOS:,} independent outcomes",
             f"    {'portfolio':<34} {'time s':>7} {'mean':>8} {'p90':>8} {'p99':>8} {'E[max]':>8} {'distinct':>8}"]  # fmt: skip
    stats = {}
    for label, options in PORTFOLIOS[sport] + SIMULATED:
        start = time.perf_counter()
        result = optimize(
            players, OptimizeOptions(sport=sport, n_lineups=QUALITY_LINEUPS, seed=seed, **options)
        )
        row = stats[label] = portfolio_stats(lineup_ids(result), players, points)
        lines.append(f"    {label:<34} {time.perf_counter() - start:7.2f} {row['mean']:8.2f} {row['p90']:8.2f} "
                     f"{row['p99']:8.2f} {row['emax']:8.2f} {row['distinct']:8d}")  # fmt: skip
    exact = [stats[k]["p90"] for k in stats if k.startswith("exact") and "min_unique" not in k]
    unique, mine = PORTFOLIOS[sport][-1][0], stats["sim percentile 90, min_unique 3"]
    return [
        *lines,
        f"    mean keeps {stats['sim mean']['mean'] / stats['exact']['mean']:.2%} of exact (floor 99%)",
        f"    p90 keeps {stats['sim percentile 90']['p90'] / max(exact):.2%} of the best exact / stacked p90 (floor 99%)",
        f"    min_unique 3: p90 keeps {mine['p90'] / stats[unique]['p90']:.2%} of {unique!r} (floor 99%); "
        f"E[max] {mine['emax']:.2f} vs {stats[unique]['emax']:.2f} (must beat)",
    ]  # fmt: skip


def _simulation_row(seed: int) -> str:
    from webapp.optimizer.players import to_players
    from webapp.optimizer.rules import game_type
    from webapp.optimizer.scenarios import Simulator

    players, start = to_players(nfl_slate(seed)), time.perf_counter()
    simulator = Simulator(players, game_type("nfl").outcomes)
    assert sum(len(batch) for batch in simulator.batches(10_000, seed)) == 10_000
    return f"{f'(c) simulate 10,000 x {len(players)} players':<44} ours     {time.perf_counter() - start:8.2f} s"


def _tied_rows(args: argparse.Namespace) -> list[str]:
    """Rows of (t): one exact lineup of the tied slate, ours and pydfs'; 20 from 500 sims."""
    seconds, result = _ours("tied", args.seed, 1)
    best = result["lineups"][0]["projection"]
    memory = _in_subprocess("memory-worker", args.seed, 1, 0, 1)
    grown = memory if isinstance(memory, str) else f"peak RSS growth {memory['peak_mb']:.0f} MB"
    rows = [f"{'(t) tied 1,000 players, 1 exact lineup':<44} ours     {seconds:8.2f} s   best {best:.2f}   {grown}"]  # fmt: skip
    theirs = _in_subprocess(
        "pydfs-worker", "tied", args.seed, 1, timeout=args.pydfs_timeout, python=args.pydfs_python
    )
    rows.append(f"{'':<44} pydfs 1   {theirs}" if isinstance(theirs, str) else
                f"{'':<44} pydfs 1   {theirs['seconds']:7.2f} s   best {theirs['best']:.2f}   "
                f"ours / pydfs: {seconds / theirs['seconds']:.2f}")  # fmt: skip
    seconds, result = _ours("tied", args.seed, 20, 500)
    rows.append(f"{'(t) tied 1,000 players, 20 from 500 scenarios':<44} ours     {seconds:8.2f} s   ({len(result['lineups'])} lineups)")  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pydfs-timeout", type=float, default=600.0)
    parser.add_argument(
        "--pydfs-python",
        default=None,
        help="a python that has pydfs-lineup-optimizer (and numpy, ortools) installed; "
        "default: this one",
    )
    parser.add_argument("--game-types", default="nfl,nba", help=f"of {','.join(GAME_TYPES)}")
    parser.add_argument("--parts", default="abcdtq", help="which of (a)-(d), (t), (q) to run")
    parser.add_argument("--pydfs-worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--memory-worker", nargs=4, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pydfs_worker:  # the subprocesses of _in_subprocess
        game, seed, n = args.pydfs_worker
        print(json.dumps(_pydfs_worker(game, int(seed), int(n))))
        return
    if args.memory_worker:
        print(json.dumps(_memory_worker(*args.memory_worker)))
        return
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at start")
    rows: list[str] = []
    exact_150 = None
    if "a" in args.parts:
        for game in args.game_types.split(","):
            game_rows, seconds = _compare(game, args)
            rows += game_rows
            exact_150 = seconds if game == "nfl" else exact_150
    if "b" in args.parts:
        exact_150 = exact_150 or _ours("nfl", args.seed, LINEUPS)[0]
        for scenarios in (1000, 10_000):
            seconds, result = _ours("nfl", args.seed, LINEUPS, scenarios)
            rows.append(f"{f'(b) NFL {LINEUPS} lineups from {scenarios:,} scenarios':<44} ours     {seconds:8.2f} s   = "
                        f"{seconds / exact_150:.1f} x exact {LINEUPS} (target <= 1.5 at 1,000)   ({result['n_candidates']} candidates)")  # fmt: skip
    if "c" in args.parts:
        rows.append(_simulation_row(args.seed))
    if "d" in args.parts:
        memory = _in_subprocess("memory-worker", args.seed, LINEUPS, 100_000, 0)
        rows.append(f"(d) {memory}" if isinstance(memory, str) else f"{f'(d) 100,000-scenario NFL job, {LINEUPS} lineups':<44} peak RSS growth {memory['peak_mb']:.0f} MB "
                    f"(process peak {memory['rss_mb']:.0f} MB), {memory['seconds']:.1f} s")  # fmt: skip
    if "t" in args.parts:
        rows += _tied_rows(args)
    print(f"load average {os.getloadavg()[0]:.1f} at end")
    print("\n".join(rows))
    for sport in ("nfl", "nba") if "q" in args.parts else ():
        print("\n".join(quality_table(sport, args.seed)))


if __name__ == "__main__":
    main()
