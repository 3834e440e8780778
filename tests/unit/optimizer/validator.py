"""An independent lineup validator, written from DraftKings' rules, not from the optimizer."""

from __future__ import annotations

from dataclasses import dataclass, field
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
PITCHERS = {"SP", "RP", "P"}
HITTERS = {"C", "1B", "2B", "3B", "SS", "OF"}
MLB_SLOTS = [
    ("P", PITCHERS), ("P", PITCHERS), ("C", {"C"}), ("1B", {"1B"}), ("2B", {"2B"}),
    ("3B", {"3B"}), ("SS", {"SS"}), ("OF", {"OF"}), ("OF", {"OF"}), ("OF", {"OF"}),
]  # fmt: skip
WINGS = {"LW", "RW", "W"}
SKATERS = {"C", "D"} | WINGS
NHL_SLOTS = [
    ("C", {"C"}), ("C", {"C"}), ("W", WINGS), ("W", WINGS), ("W", WINGS),
    ("D", {"D"}), ("D", {"D"}), ("G", {"G"}), ("UTIL", SKATERS),
]  # fmt: skip
ANY = None  # a showdown slot: any position, but only the rows listed for it
CAP = 50_000
CAPTAIN = 1.5


@dataclass(frozen=True)
class Contest:
    """What DraftKings checks of a lineup in one game type."""

    slots: list[tuple[str, set[str] | None]]
    min_games: int = 1
    min_teams: int = 1
    team_positions: set[str] = field(default_factory=set)  # counted for min_teams; empty: all
    max_hitters: int | None = None  # MLB: hitters of one team
    stack_positions: set[str] = field(default_factory=set)  # what a team stack counts
    # avoid_opposing: (positions kept from facing, positions that may not face them)
    opposing: tuple[set[str], set[str]] = (set(), set())


CONTESTS = {
    ("nfl", "classic"): Contest(NFL_SLOTS, min_games=2),
    ("nba", "classic"): Contest(NBA_SLOTS, min_games=2),
    ("nfl", "showdown"): Contest([("CPT", ANY)] + [("FLEX", ANY)] * 5, min_teams=2),
    ("nba", "showdown"): Contest([("CPT", ANY)] + [("UTIL", ANY)] * 5, min_teams=2),
    ("mlb", "classic"): Contest(
        MLB_SLOTS, min_games=2, max_hitters=5, stack_positions=HITTERS, opposing=(PITCHERS, HITTERS)
    ),
    ("nhl", "classic"): Contest(
        NHL_SLOTS,
        min_games=2,
        min_teams=3,
        team_positions=SKATERS,
        stack_positions=SKATERS,
        opposing=({"G"}, SKATERS),
    ),
}
SLOTS = {"nfl": NFL_SLOTS, "nba": NBA_SLOTS, "mlb": MLB_SLOTS, "nhl": NHL_SLOTS}


def fits(player: dict, slot: tuple[str, set[str] | None]) -> bool:
    """Whether a player (a showdown row) may fill a slot."""
    name, allowed = slot
    if allowed is ANY:
        return player.get("roster_position") == name
    return bool(allowed & set(player["positions"]))


def points(player: dict, slot_name: str) -> float:
    """What a player counts for in a slot: a captain 1.5 times his projection."""
    return player["projection"] * (CAPTAIN if slot_name == "CPT" else 1.0)


def lineup_problems(
    lineup: dict, players: dict[str, dict], sport: str, contest_type: str = "classic"
) -> list[str]:
    """Everything wrong with a result lineup (empty when it is valid)."""
    contest = CONTESTS[(sport, contest_type)]
    problems = []
    entries = lineup["players"]
    if [e["slot"] for e in entries] != [name for name, _ in contest.slots]:
        problems.append(f"slots out of roster order: {[e['slot'] for e in entries]}")
    ids = [e["id"] for e in entries]
    chosen = [players[i] for i in ids]
    if len(set(ids)) != len(ids):
        problems.append("a player appears twice")
    people = {(p["name"], p["team"]) for p in chosen}
    if len(people) != len(chosen):
        problems.append("one player fills two slots")
    for entry, slot in zip(entries, contest.slots, strict=False):
        if not fits(players[entry["id"]], slot):
            problems.append(f"{entry['id']} cannot play {slot[0]}")
    salary = sum(p["salary"] for p in chosen)
    if salary > CAP:
        problems.append(f"salary {salary} over the cap")
    if salary != lineup["salary"]:
        problems.append(f"reported salary {lineup['salary']} != {salary}")
    problems += _team_problems(chosen, contest)
    total = sum(points(players[e["id"]], e["slot"]) for e in entries)
    if abs(total - lineup["projection"]) > 1e-3:
        problems.append(f"reported projection {lineup['projection']} != {total}")
    return problems


def _team_problems(chosen: list[dict], contest: Contest) -> list[str]:
    """Games, teams and hitters of one team."""
    problems = []
    games = {frozenset((p["team"], p["opponent"])) for p in chosen}
    if len(games) < contest.min_games:
        problems.append(f"players from fewer than {contest.min_games} games")
    counted = [p for p in chosen if not contest.team_positions or _any(p, contest.team_positions)]
    if len({p["team"] for p in counted}) < contest.min_teams:
        problems.append(f"players from fewer than {contest.min_teams} teams")
    if contest.max_hitters is not None:
        for team in {p["team"] for p in chosen}:
            hitters = [p for p in chosen if p["team"] == team and _any(p, HITTERS)]
            if len(hitters) > contest.max_hitters:
                problems.append(f"{len(hitters)} hitters of {team}")
    return problems


def _any(player: dict, positions: set[str]) -> bool:
    return bool(positions & set(player["positions"]))


def can_fill(chosen: list[dict], slots: list[tuple[str, set[str]]]) -> bool:
    """Brute force: some ordering of the players fills the slots."""
    return any(
        all(allowed & set(p["positions"]) for p, (_, allowed) in zip(order, slots, strict=True))
        for order in permutations(chosen)
    )
