"""Roster rules as data: one frozen entry per site and sport; a new sport is a new entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Slot:
    """One roster slot and the positions that may fill it."""

    name: str
    positions: frozenset[str]


@dataclass(frozen=True)
class RosterRules:
    """A site's classic contest rules for one sport."""

    sport: str
    slots: tuple[Slot, ...]
    salary_cap: int
    min_games: int
    # Positions that count as a QB's pass catchers and as a bring-back in an NFL stack;
    # empty for sports without stacks.
    stack_anchor: str = ""
    stack_catchers: frozenset[str] = frozenset()
    stack_bring_back: frozenset[str] = frozenset()

    @property
    def positions(self) -> frozenset[str]:
        """Every position a player of this sport may have."""
        return frozenset().union(*(slot.positions for slot in self.slots))

    @property
    def size(self) -> int:
        """Players per lineup."""
        return len(self.slots)

    def eligible_slots(self, positions: tuple[str, ...]) -> frozenset[int]:
        """Indices of the slots a player with these positions may fill."""
        return frozenset(i for i, slot in enumerate(self.slots) if slot.positions & set(positions))


def _slot(name: str, *positions: str) -> Slot:
    return Slot(name, frozenset(positions or (name,)))


# DraftKings Classic: $50,000 cap, players from at least two games.
RULES: Mapping[str, RosterRules] = MappingProxyType(
    {
        "nfl": RosterRules(
            sport="nfl",
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
            min_games=2,
            stack_anchor="QB",
            stack_catchers=frozenset({"WR", "TE"}),
            stack_bring_back=frozenset({"RB", "WR", "TE"}),
        ),
        "nba": RosterRules(
            sport="nba",
            slots=(
                _slot("PG"),
                _slot("SG"),
                _slot("SF"),
                _slot("PF"),
                _slot("C"),
                _slot("G", "PG", "SG"),
                _slot("F", "SF", "PF"),
                _slot("UTIL", "PG", "SG", "SF", "PF", "C"),
            ),
            salary_cap=50_000,
            min_games=2,
        ),
    }
)


def valid_positions(sport: str) -> frozenset[str]:
    """The positions a player of `sport` may list (empty for an unknown sport)."""
    rules = RULES.get(sport)
    return rules.positions if rules is not None else frozenset()
