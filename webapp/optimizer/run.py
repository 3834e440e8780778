"""One optimize call: the prepared slate and everything derived from the request."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from webapp.optimizer.budget import TimeBudget
from webapp.optimizer.checkpoint import (
    Checkpoint,
    derived_seed,
    fingerprint,
    load_state,
    new_state,
)
from webapp.optimizer.errors import OptimizerError
from webapp.optimizer.feasibility import check_feasible
from webapp.optimizer.options import OptimizeOptions
from webapp.optimizer.players import Player, check_players, to_players
from webapp.optimizer.portfolio import Rules
from webapp.optimizer.rules import GameType, UnknownGameTypeError, game_type
from webapp.optimizer.search import exposure_limits
from webapp.optimizer.shares import fewest_lineups
from webapp.optimizer.slate import Slate, Stack
from webapp.optimizer.teams import team_limits

Progress = Callable[[float, str], None]
NO_LINEUP = "no lineup satisfies the salary cap, roster slots, games and the request's constraints"


def _normalised(player: Player) -> dict[str, Any]:
    """A player as plain data for seeds and digests; a classic player without a
    roster_position as before there was one, so his seeds stay what they were."""
    fields = asdict(player)
    if fields["roster_position"] is None:
        del fields["roster_position"]
    return fields


def _stack(options: OptimizeOptions, rules: GameType) -> Stack | None:
    """The game type's stack as the request sets it (`stack` or `captain_with`)."""
    if rules.stack is None:
        return None
    if rules.stack.option == "captain_with" and options.captain_with:
        return Stack(partners=options.captain_with)
    if rules.stack.option == "stack" and options.stack:
        stack = options.stack
        return Stack(partners=stack.get("qb_with", 1), bring_back=stack.get("bring_back", 0))
    return None


class Run:
    """The request, its slate, seed, exposure counts, budget and saved state. The options are
    taken as given (their bounds are checked where requests come in); the players are checked
    here, as they may come from a stored slate no request schema has seen."""

    def __init__(
        self,
        raw: Sequence[Mapping[str, Any]],
        options: OptimizeOptions,
        progress: Progress | None,
        checkpoint: Checkpoint | None,
    ) -> None:
        try:
            rules = game_type(options.sport, options.contest_type)
        except UnknownGameTypeError as error:
            raise OptimizerError(error.message) from None
        errors = check_players(raw, options.sport, options.contest_type)
        if errors:
            raise OptimizerError(f"invalid players: {errors}")
        try:
            players = to_players(raw, rules)
        except (KeyError, TypeError, ValueError) as error:
            raise OptimizerError(f"invalid players: {error!r}") from error
        locks, excludes = frozenset(options.locks), frozenset(options.excludes)
        check_feasible(players, rules, locks, excludes, avoid_opposing=options.avoid_opposing)
        self.slate = Slate(
            [p for p in players if p.id not in excludes],
            rules,
            locks,
            _stack(options, rules),
            team_stack=tuple(options.team_stack),
            avoid_opposing=options.avoid_opposing,
        )
        self.options = options
        self.raw_players = list(raw)  # every player, excluded ones too (a contest's field)
        self.budget = TimeBudget(options.time_budget_seconds)
        self.threads = options.threads or os.cpu_count() or 1
        self.report = progress or (lambda _fraction, _phase: None)
        self.checkpoint = checkpoint
        self.warnings: list[str] = []
        normalised = [_normalised(p) for p in players]
        # The seed ignores projections: a "what if" edit of one projection re-draws the same
        # scenarios, so the change seen is the edit's, not the dice's.
        unprojected = [{k: v for k, v in p.items() if k != "projection"} for p in normalised]
        settings = options.to_settings(None)
        self.seed = (
            options.seed if options.seed is not None else derived_seed(unprojected, settings)
        )
        self.settings = options.to_settings(self.seed)
        self.digest = fingerprint(normalised, self.settings)
        self.state = load_state(checkpoint, self.digest)
        n = options.n_lineups
        self.limits = exposure_limits(self.slate, n, options.max_exposure, dict(options.exposure))
        self.min_counts = np.zeros(len(self.slate), dtype=np.int64)
        for player_id, share in options.min_exposure.items():
            if player_id in self.slate.index and share > 0:
                self.min_counts[self.slate.index[player_id]] = fewest_lineups(share, n)
        self.teams = team_limits(self.slate, options.team_exposure, n)

    @property
    def forbidden(self) -> frozenset[int]:
        """Players no lineup may hold (exposure 0)."""
        return frozenset(np.flatnonzero(self.limits <= 0).tolist())

    def portfolio_rules(self) -> Rules:
        """What the chosen portfolio must obey: n lineups, min_unique, exposures, teams."""
        return Rules(
            self.options.n_lineups,
            self.slate.rules.size,
            self.options.min_unique,
            self.limits,
            self.min_counts,
            teams=self.teams,
        )

    def save(self, **fields: Any) -> None:
        if self.checkpoint is not None:
            self.checkpoint.save(new_state(self.digest, **fields))

    def ids(self, lineups: Sequence[Sequence[int]]) -> list[list[str]]:
        return [[self.slate.players[i].id for i in lineup] for lineup in lineups]

    def indices(self, lineups: Sequence[Sequence[str]]) -> list[list[int]]:
        return [[self.slate.index[i] for i in lineup] for lineup in lineups]
