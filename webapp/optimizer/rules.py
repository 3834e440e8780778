"""DraftKings game types as data: one frozen entry per sport and contest type.

A game type is what a DraftKings contest asks of a lineup: its slots and the positions that fill
each, the salary cap, the captain's multiplier, its team and game rules, and which of the
options that depend on the sport a request may use. Each sport's outcome model for simulations
(stdev shares and correlation loadings by position, docs/optimizer.md) goes with it. Everything
that depends on the sport or the contest reads it from here; a new game type is a new entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

CLASSIC, SHOWDOWN = "classic", "showdown"
DEFAULT_SPORT = "nfl"  # of a request that names none
CONTEST_TYPES = (CLASSIC, SHOWDOWN)


@dataclass(frozen=True)
class Slot:
    """One roster slot, the positions that may fill it, and what its player's points count."""

    name: str
    positions: frozenset[str]
    multiplier: float = 1.0  # DraftKings' captain: 1.5 (his row's salary is 1.5x already)


@dataclass(frozen=True)
class StackRule:
    """An anchor and the players the `stack` or `captain_with` option asks to go with him.

    The anchor is a player of `anchor_positions` (NFL classic: the QB) or the row that fills
    the slot `anchor_slot` (showdown: the captain); a lineup holds exactly one anchor.
    Partners play for his team, bring-backs for the opposing team.
    """

    option: str  # the request option that sets it: "stack" or "captain_with"
    partner_positions: frozenset[str]
    bring_back_positions: frozenset[str] = frozenset()
    anchor_positions: frozenset[str] = frozenset()
    anchor_slot: str | None = None
    # Simulation candidates also include the usual stacks when the request asks for none.
    auto: bool = False


@dataclass(frozen=True)
class OutcomeModel:
    """A sport's simulated outcomes: stdev shares and correlation loadings by position.

    `team_factors` name the factors each team has (besides the game's own `game` factor);
    loadings name them, and `opp_<factor>` for the opposing team's (factors.py).
    """

    team_factors: tuple[str, ...]
    loadings: Mapping[str, Mapping[str, float]]
    stdev_shares: Mapping[str, float]  # stdev as a share of the projection when none is given


@dataclass(frozen=True, eq=False)  # one object per entry of the table: equal when identical
class GameType:
    """A DraftKings contest's rules for one sport."""

    sport: str
    contest_type: str
    slots: tuple[Slot, ...]
    salary_cap: int
    outcomes: OutcomeModel
    min_games: int = 1
    min_teams: int = 1
    # Positions whose teams count towards min_teams (empty: every player's).
    team_count_positions: frozenset[str] = frozenset()
    # At most `max_from_team` players of `max_from_team_positions` from one team.
    max_from_team: int | None = None
    max_from_team_positions: frozenset[str] = frozenset()
    # Positions a salary file may list, read as the position they stand for (SP -> P).
    aliases: Mapping[str, str] = field(default_factory=dict)
    # Showdown: DraftKings lists each player once per slot kind (a CPT row and a FLEX/UTIL row,
    # each with its own id and salary); a row fills only the slot its roster_position names,
    # and a lineup holds at most one row of a player.
    rows_by_slot: bool = False
    stack: StackRule | None = None
    # Positions counted by the team_stack option (empty: the option does not apply).
    team_stack_positions: frozenset[str] = frozenset()
    # avoid_opposing: no player of the second positions against one of the first (empty: the
    # option does not apply).
    opposing: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
    # The slot a late swap keeps for the latest-starting player (None: none).
    swap_slot: str | None = None

    @property
    def name(self) -> str:
        """How messages name the game type, e.g. "nfl showdown"."""
        return f"{self.sport} {self.contest_type}"

    @property
    def positions(self) -> frozenset[str]:
        """Every position a player may list (with the aliases a salary file may use)."""
        own = frozenset().union(*(slot.positions for slot in self.slots))
        return own | frozenset(self.aliases)

    @property
    def size(self) -> int:
        """Players per lineup."""
        return len(self.slots)

    @property
    def slot_names(self) -> frozenset[str]:
        """The names of the slots (a showdown row's roster_position is one of them)."""
        return frozenset(slot.name for slot in self.slots)

    @property
    def options(self) -> frozenset[str]:
        """The options that depend on the game type and apply to this one."""
        found = {self.stack.option} if self.stack else set()
        if self.team_stack_positions:
            found.add("team_stack")
        if self.opposing[0]:
            found.add("avoid_opposing")
        return frozenset(found)

    def canonical(self, positions: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """The positions as the slots name them (aliases read), each once, in order."""
        return tuple(dict.fromkeys(self.aliases.get(p, p) for p in positions))

    def eligible_slots(
        self, positions: tuple[str, ...] | list[str], roster_position: str | None = None
    ) -> frozenset[int]:
        """Indices of the slots a player (a showdown row: of this roster_position) may fill."""
        own = set(self.canonical(positions))
        return frozenset(
            i
            for i, slot in enumerate(self.slots)
            if slot.positions & own and (not self.rows_by_slot or slot.name == roster_position)
        )

    def multiplier(self, roster_position: str | None) -> float:
        """What a row's points count for: the captain's multiplier for a CPT row, else 1."""
        if not self.rows_by_slot:
            return 1.0
        return next((s.multiplier for s in self.slots if s.name == roster_position), 1.0)


def _slot(name: str, *positions: str, multiplier: float = 1.0) -> Slot:
    return Slot(name, frozenset(positions or (name,)), multiplier)


def _showdown_slots(flex: str, positions: frozenset[str]) -> tuple[Slot, ...]:
    """DraftKings Showdown Captain Mode: one captain at 1.5x, five FLEX (NFL) or UTIL (NBA)."""
    captain = Slot("CPT", positions, multiplier=1.5)
    return (captain, *(Slot(flex, positions) for _ in range(5)))


# Outcome models: what each number is and why it was chosen is in docs/optimizer.md.
NFL_OUTCOMES = OutcomeModel(
    team_factors=("pass", "rush"),
    loadings=MappingProxyType(
        {
            "QB": {"game": 0.40, "pass": 0.75, "rush": 0.10},
            "RB": {"game": 0.20, "pass": 0.10, "rush": 0.50},
            "WR": {"game": 0.20, "pass": 0.50},
            "TE": {"game": 0.15, "pass": 0.45},
            "K": {"game": 0.20, "pass": 0.15, "rush": 0.15},
            "DST": {"game": -0.35, "opp_pass": -0.30, "opp_rush": -0.15},
        }
    ),
    stdev_shares=MappingProxyType(
        {"QB": 0.35, "RB": 0.45, "WR": 0.55, "TE": 0.55, "K": 0.55, "DST": 0.70}
    ),
)
NBA_POSITIONS = ("PG", "SG", "SF", "PF", "C")
NBA_OUTCOMES = OutcomeModel(
    team_factors=(),
    loadings=MappingProxyType({p: {"game": 0.25} for p in NBA_POSITIONS}),
    stdev_shares=MappingProxyType({"PG": 0.28, "SG": 0.30, "SF": 0.30, "PF": 0.30, "C": 0.28}),
)
MLB_HITTERS = frozenset({"C", "1B", "2B", "3B", "SS", "OF"})
MLB_OUTCOMES = OutcomeModel(
    team_factors=("runs",),
    loadings=MappingProxyType(
        {
            **{p: {"game": 0.15, "runs": 0.45} for p in sorted(MLB_HITTERS)},
            "P": {"game": -0.15, "runs": 0.15, "opp_runs": -0.55},
        }
    ),
    stdev_shares=MappingProxyType({**dict.fromkeys(MLB_HITTERS, 0.85), "P": 0.55}),
)
NHL_SKATERS = frozenset({"C", "W", "D"})
NHL_OUTCOMES = OutcomeModel(
    team_factors=("goals",),
    loadings=MappingProxyType(
        {
            "C": {"game": 0.20, "goals": 0.40},
            "W": {"game": 0.20, "goals": 0.40},
            "D": {"game": 0.15, "goals": 0.30},
            "G": {"game": -0.25, "goals": 0.15, "opp_goals": -0.50},
        }
    ),
    stdev_shares=MappingProxyType({"C": 0.75, "W": 0.75, "D": 0.75, "G": 0.65}),
)

NFL_OFFENSE = frozenset({"QB", "RB", "WR", "TE"})
NFL_SHOWDOWN_POSITIONS = NFL_OFFENSE | {"K", "DST"}
_DST_AGAINST_OFFENSE = (frozenset({"DST"}), NFL_OFFENSE | {"K"})

GAME_TYPES: Mapping[tuple[str, str], GameType] = MappingProxyType(
    {
        ("nfl", CLASSIC): GameType(
            sport="nfl",
            contest_type=CLASSIC,
            slots=(
                _slot("QB"),
                _slot("RB"),
                _slot("RB"),
                _slot("WR"),
                _slot("WR"),
                _slot("WR"),
                _slot("TE"),
                _slot("FLEX", "RB", "WR", "TE"),
                _slot("DST"),
            ),
            salary_cap=50_000,
            outcomes=NFL_OUTCOMES,
            min_games=2,
            stack=StackRule(
                option="stack",
                anchor_positions=frozenset({"QB"}),
                partner_positions=frozenset({"WR", "TE"}),
                bring_back_positions=frozenset({"RB", "WR", "TE"}),
                auto=True,
            ),
            opposing=_DST_AGAINST_OFFENSE,
            swap_slot="FLEX",
        ),
        ("nfl", SHOWDOWN): GameType(
            sport="nfl",
            contest_type=SHOWDOWN,
            slots=_showdown_slots("FLEX", NFL_SHOWDOWN_POSITIONS),
            salary_cap=50_000,
            outcomes=NFL_OUTCOMES,
            min_teams=2,
            rows_by_slot=True,
            stack=StackRule(
                option="captain_with",
                anchor_slot="CPT",
                partner_positions=NFL_SHOWDOWN_POSITIONS,
            ),
            opposing=_DST_AGAINST_OFFENSE,
        ),
        ("nba", CLASSIC): GameType(
            sport="nba",
            contest_type=CLASSIC,
            slots=(
                _slot("PG"),
                _slot("SG"),
                _slot("SF"),
                _slot("PF"),
                _slot("C"),
                _slot("G", "PG", "SG"),
                _slot("F", "SF", "PF"),
                _slot("UTIL", *NBA_POSITIONS),
            ),
            salary_cap=50_000,
            outcomes=NBA_OUTCOMES,
            min_games=2,
            swap_slot="UTIL",
        ),
        ("nba", SHOWDOWN): GameType(
            sport="nba",
            contest_type=SHOWDOWN,
            slots=_showdown_slots("UTIL", frozenset(NBA_POSITIONS)),
            salary_cap=50_000,
            outcomes=NBA_OUTCOMES,
            min_teams=2,
            rows_by_slot=True,
            stack=StackRule(
                option="captain_with",
                anchor_slot="CPT",
                partner_positions=frozenset(NBA_POSITIONS),
            ),
        ),
        ("mlb", CLASSIC): GameType(
            sport="mlb",
            contest_type=CLASSIC,
            slots=(
                _slot("P"),
                _slot("P"),
                _slot("C"),
                _slot("1B"),
                _slot("2B"),
                _slot("3B"),
                _slot("SS"),
                _slot("OF"),
                _slot("OF"),
                _slot("OF"),
            ),
            salary_cap=50_000,
            outcomes=MLB_OUTCOMES,
            min_games=2,
            max_from_team=5,
            max_from_team_positions=MLB_HITTERS,
            aliases=MappingProxyType({"SP": "P", "RP": "P"}),
            team_stack_positions=MLB_HITTERS,
            opposing=(frozenset({"P"}), MLB_HITTERS),
        ),
        ("nhl", CLASSIC): GameType(
            sport="nhl",
            contest_type=CLASSIC,
            slots=(
                _slot("C"),
                _slot("C"),
                _slot("W"),
                _slot("W"),
                _slot("W"),
                _slot("D"),
                _slot("D"),
                _slot("G"),
                _slot("UTIL", *sorted(NHL_SKATERS)),
            ),
            salary_cap=50_000,
            outcomes=NHL_OUTCOMES,
            min_games=2,
            # At least 3 teams among the skaters (goalies left out of the count, as
            # pydfs-lineup-optimizer counts): a lineup that passes it has players of 3 teams
            # whichever way the rule is read.
            min_teams=3,
            team_count_positions=NHL_SKATERS,
            aliases=MappingProxyType({"LW": "W", "RW": "W"}),
            team_stack_positions=NHL_SKATERS,
            opposing=(frozenset({"G"}), NHL_SKATERS),
            swap_slot="UTIL",
        ),
    }
)
SPORTS = tuple(sorted({sport for sport, _ in GAME_TYPES}))


class UnknownGameTypeError(KeyError):
    """No game type for this sport and contest type."""

    def __init__(self, sport: str, contest_type: str) -> None:
        offered = sorted(c for s, c in GAME_TYPES if s == sport)
        where = f"{sport} offers {', '.join(offered)}" if offered else f"unknown sport {sport!r}"
        super().__init__(f"no {contest_type} game type for {sport}: {where}")
        self.message = self.args[0]


def game_type(sport: str, contest_type: str = CLASSIC) -> GameType:
    """The game type of a sport and contest type; UnknownGameTypeError when there is none."""
    try:
        return GAME_TYPES[(sport, contest_type)]
    except KeyError:
        raise UnknownGameTypeError(sport, contest_type) from None


def contest_types(sport: str) -> tuple[str, ...]:
    """The contest types a sport offers, classic first."""
    return tuple(c for c in CONTEST_TYPES if (sport, c) in GAME_TYPES)


def valid_positions(sport: str, contest_type: str = CLASSIC) -> frozenset[str]:
    """The positions a player may list (empty for an unknown game type)."""
    found = GAME_TYPES.get((sport, contest_type))
    return found.positions if found is not None else frozenset()


MAX_ROSTER = max(rules.size for rules in GAME_TYPES.values())  # the largest lineup
