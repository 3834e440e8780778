"""An independent lineup validator, written from the contest rules, not from the optimizer."""

from __future__ import annotations

from itertools import permutations

# DraftKings Classic, restated: slot -> positions that may fill it.
NFL_SLOTS = [
    ("QB", {"QB"}), ("RB", {"RB"}), ("RB", {"RB"}), ("WR", {"WR"}), ("WR", {"WR"}),
    ("WR", {"WR"}), ("TE", {"TE"}), ("FLEX", {"RB", "WR", "TE"}), ("DST", {"DST"}),
]  # fmt: skip
NBA_SLOTS = [
    ("PG", {"PG"}), ("SG", {"SG"}), ("SF", {"SF"}), ("PF", {"PF"}), ("C", {"C"}),
    ("G", {"PG", "SG"}), ("F", {"SF", "PF"}), ("UTIL", {"PG", "SG", "SF", "PF", "C"}),
]  # fmt: skip
SLOTS = {"nfl": NFL_SLOTS, "nba": NBA_SLOTS}
CAP = 50_000


def lineup_problems(lineup: dict, players: dict[str, dict], sport: str) -> list[str]:
    """Everything wrong with a result lineup (empty when it is valid)."""
    problems = []
    entries = lineup["players"]
    slots = SLOTS[sport]
    if [e["slot"] for e in entries] != [name for name, _ in slots]:
        problems.append(f"slots out of roster order: {[e['slot'] for e in entries]}")
    ids = [e["id"] for e in entries]
    if len(set(ids)) != len(ids):
        problems.append("a player appears twice")
    for entry, (name, allowed) in zip(entries, slots, strict=False):
        if not allowed & set(players[entry["id"]]["positions"]):
            problems.append(f"{entry['id']} cannot play {name}")
    salary = sum(players[i]["salary"] for i in ids)
    if salary > CAP:
        problems.append(f"salary {salary} over the cap")
    if salary != lineup["salary"]:
        problems.append(f"reported salary {lineup['salary']} != {salary}")
    games = {frozenset((players[i]["team"], players[i]["opponent"])) for i in ids}
    if len(games) < 2:
        problems.append("players from fewer than 2 games")
    projection = sum(players[i]["projection"] for i in ids)
    if abs(projection - lineup["projection"]) > 1e-3:
        problems.append(f"reported projection {lineup['projection']} != {projection}")
    return problems


def can_fill(chosen: list[dict], slots: list[tuple[str, set[str]]]) -> bool:
    """Brute force: some ordering of the players fills the slots."""
    return any(
        all(allowed & set(p["positions"]) for p, (_, allowed) in zip(order, slots, strict=True))
        for order in permutations(chosen)
    )
