"""A slate as a contest sees it: the optimizer's players plus each one's ownership and field
projection, and the rules a lineup must keep."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from webapp.optimizer.players import to_players
from webapp.optimizer.rules import game_type
from webapp.optimizer.slate import Slate
from webapp.optimizer.slot_matching import assign_slots


class ContestRequestError(ValueError):
    """The request cannot be simulated as it stands: `code` names the rule, the message and
    `details` say where."""

    code = "invalid_contest"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = details


class LineupError(ContestRequestError):
    """A lineup names a player the slate does not have, or breaks the roster rules."""

    code = "invalid_lineup"


class ContestSlate:
    """Players (the optimizer's `Slate`, in the order given), projected ownership as fractions
    of entries (a player without one counts as 0), and the projections the field builds on
    (`field_projection`, else the projection)."""

    def __init__(self, raw: Sequence[Mapping[str, Any]], sport: str) -> None:
        self.sport = sport
        self.rules = game_type(sport)
        self.players = to_players(raw)
        self.slate = Slate(self.players, self.rules)
        self.ownership = np.array([(p.get("ownership") or 0.0) / 100.0 for p in raw])
        self.has_ownership = np.array([p.get("ownership") is not None for p in raw])
        self.field_projection = np.array(
            [
                p["projection"] if p.get("field_projection") is None else p["field_projection"]
                for p in raw
            ],
            dtype=np.float64,
        )
        self.index = self.slate.index

    def __len__(self) -> int:
        return len(self.players)

    def lineup(self, ids: Sequence[str]) -> list[int]:
        """A lineup's player indices, sorted; LineupError when it is not a valid lineup."""
        unknown = [i for i in ids if i not in self.index]
        if unknown:
            raise LineupError(f"players not in the slate: {sorted(set(unknown))[:10]}")
        members = sorted(self.index[i] for i in ids)
        if problem := self.problem(members):
            raise LineupError(problem)
        return members

    def problem(self, members: Sequence[int]) -> str | None:
        """Why these player indices are not a lineup of the rules, or None."""
        rules = self.rules
        if len(members) != rules.size or len(set(members)) != len(members):
            return f"a lineup holds {rules.size} different players"
        if assign_slots([self.slate.eligible[i] for i in members], rules.size) is None:
            return "the players cannot fill the roster slots"
        salary = int(self.slate.salaries[list(members)].sum())
        if salary > rules.salary_cap:
            return f"salary {salary} is over the {rules.salary_cap} cap"
        if len({self.slate.game_of[i] for i in members}) < rules.min_games:
            return f"players from at least {rules.min_games} games are needed"
        return None

    def ids(self, members: Sequence[int]) -> list[str]:
        """The player ids of a lineup of indices."""
        return [self.players[i].id for i in members]
