"""Roster rules as data: one table per site and sport. Another sport is another entry."""

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

    @property
    def positions(self) -> frozenset[str]:
        """Every position a player of this sport may have."""
        return frozenset().union(*(slot.positions for slot in self.slots))

    @property
    def size(self) -> int:
        """Players per lineup."""
        return len(self.slots)


def _slot(name: str, *positions: str) -> Slot:
    return Slot(name, frozenset(positions or (name,)))


# DraftKings Classic.
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
