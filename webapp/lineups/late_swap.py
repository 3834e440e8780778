"""Late swap: after the early games lock, re-optimize every lineup around its started players.

For each given lineup (ids per slot in DraftKings order), players whose game has started by `now`
stay in their slots; the optimizer (its public `optimize`) fills the other slots from players whose
game has not started, under the request's rules and options. Exposure caps count across the
returned lineups; `min_unique` holds between them. The optimizer places players in slots itself,
so its best lineups are asked for in growing numbers until one fits around the fixed slots. The
game type's swap slot (FLEX in NFL, UTIL in NBA and NHL) gets the latest-starting player that can
take it, keeping later swaps open. A showdown player's row keeps the slot kind it was made for
(CPT or FLEX/UTIL): its id is the row's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from webapp.lineups.refusals import Refusal, SubmitRefusedError, request_game_type
from webapp.optimizer import InfeasibleError, OptimizeOptions, optimize
from webapp.optimizer.rules import GameType
from webapp.optimizer.shares import most_lineups
from webapp.optimizer.slot_matching import assign_slots

# Lineups asked of the optimizer in turn until one fits around the started players.
CANDIDATES_ASKED = (1, 10, 40)
_NEVER = datetime.max.replace(tzinfo=UTC)

Player = Mapping[str, Any]


def _time(player: Player) -> datetime | None:
    raw = player.get("game_time")
    return datetime.fromisoformat(raw) if raw else None


def has_started(player: Player, now: datetime) -> bool:
    """True when the player's game time is known and not after `now`."""
    start = _time(player)
    return start is not None and start <= now


def check_late_swap(job_input: Mapping[str, Any]) -> None:
    """Refuse at submit lineups the slate cannot read: unknown ids, wrong sizes, wrong slots."""
    rules = request_game_type(job_input)
    by_id = {p["id"]: p for p in job_input["players"]}
    refusals = []
    for number, lineup in enumerate(job_input["late_swap"]["lineups"], start=1):
        unknown = [pid for pid in lineup if pid not in by_id]
        if unknown:
            message = f"late_swap lineup {number} names players not in the slate: {unknown}"
            refusals.append(Refusal("late_swap_unknown_player", message, unknown))
        elif len(lineup) != rules.size or len(set(lineup)) != rules.size:
            message = f"late_swap lineup {number} needs {rules.size} different players, one a slot"
            refusals.append(Refusal("late_swap_invalid_lineup", message, list(lineup)))
        else:
            wrong = [pid for s, pid in enumerate(lineup) if s not in _slots_of(rules, by_id[pid])]
            if wrong:
                message = f"late_swap lineup {number} has players in slots they cannot fill"
                refusals.append(Refusal("late_swap_invalid_lineup", message, wrong))
    given = len(job_input["late_swap"]["lineups"])
    if job_input.get("n_lineups", given) != given:
        message = f"n_lineups is {job_input['n_lineups']} but late_swap gives {given} lineups"
        refusals.append(Refusal("late_swap_count_mismatch", message))
    if not any(p.get("game_time") for p in job_input["players"]):
        refusals.append(
            Refusal("late_swap_no_game_times", "no player of the slate has a game_time")
        )
    if refusals:
        raise SubmitRefusedError(refusals)


def _slots_of(rules: GameType, player: Player) -> frozenset[int]:
    return rules.eligible_slots(tuple(player["positions"]), player.get("roster_position"))


def _assign(
    rules: GameType, players: Sequence[Player], slots: Sequence[int]
) -> dict[int, str] | None:
    eligible = [
        frozenset(j for j, s in enumerate(slots) if s in _slots_of(rules, p)) for p in players
    ]
    order = assign_slots(eligible, len(slots))
    if order is None:
        return None
    return {slots[j]: players[k]["id"] for j, k in enumerate(order)}


def place(rules: GameType, chosen: Sequence[Player], fixed: Mapping[int, str]) -> list[str] | None:
    """Ids per slot with `fixed` kept in their slots, the latest starter in the swap slot;
    None when the chosen players cannot fill the other slots."""
    fixed_ids = set(fixed.values())
    others = [p for p in chosen if p["id"] not in fixed_ids]
    free = [s for s in range(rules.size) if s not in fixed]
    flex = [s for s in free if rules.slots[s].name == rules.swap_slot]
    attempts: list[tuple[Player | None, int | None]] = [
        (p, flex[0]) for p in sorted(others, key=lambda p: _time(p) or _NEVER, reverse=True)
        if flex and flex[0] in _slots_of(rules, p)
    ] + [(None, None)]  # fmt: skip
    for player, slot in attempts:
        rest = [p for p in others if p is not player]
        assigned = _assign(rules, rest, [s for s in free if s != slot])
        if assigned is not None:
            if player is not None and slot is not None:
                assigned[slot] = player["id"]
            return [{**fixed, **assigned}[s] for s in range(rules.size)]
    return None


def _differs(lineup: Sequence[str], earlier: Sequence[Sequence[str]], min_unique: int) -> bool:
    return all(len(set(lineup) - set(other)) >= min_unique for other in earlier)


def _caps(
    job_input: Mapping[str, Any], players: Sequence[Player], n_lineups: int
) -> dict[str, int]:
    """How many of the returned lineups each player may be in (as the optimizer rounds)."""
    share = float(job_input.get("max_exposure", 1.0))
    exposure = job_input.get("exposure") or {}
    locks = set(job_input.get("locks") or ())
    caps = {}
    for player in players:
        player_share = 1.0 if player["id"] in locks else exposure.get(player["id"], share)
        caps[player["id"]] = most_lineups(player_share, n_lineups)
    return caps


class _Swap:
    """One late-swap job: the slate split at `now`, and what the lineups so far have used."""

    def __init__(
        self,
        players: Sequence[Player],
        job_input: Mapping[str, Any],
        options: Mapping[str, Any],
        report: Callable[[float, str], None],
    ) -> None:
        self.rules = request_game_type(job_input)
        self.by_id = {p["id"]: p for p in players}
        self.now = datetime.fromisoformat(job_input["late_swap"]["now"])
        self.given = [list(lineup) for lineup in job_input["late_swap"]["lineups"]]
        excluded = set(job_input.get("excludes") or ())
        self.open = [
            p for p in players
            if p["id"] not in excluded and _time(p) is not None and not has_started(p, self.now)
        ]  # fmt: skip
        self.caps = _caps(job_input, players, len(self.given))
        self.locks = [i for i in job_input.get("locks") or () if i in {p["id"] for p in self.open}]
        self.min_unique = int(job_input.get("min_unique") or 1)
        self.options = {
            k: v for k, v in options.items() if k not in {"locks", "excludes", "exposure"}
        }
        self.report = report
        self.used: Counter[str] = Counter()
        self.done: list[list[str]] = []

    def swap(self, index: int) -> list[str] | None:
        """Lineup `index` re-optimized around its started players, or None if it cannot be."""
        lineup = self.given[index]
        fixed = {s: pid for s, pid in enumerate(lineup) if has_started(self.by_id[pid], self.now)}
        if len(fixed) == self.rules.size:
            return lineup
        pool = [p for p in self.open if self.used[p["id"]] < self.caps[p["id"]]]
        pool += [self.by_id[pid] for pid in fixed.values()]
        for asked in CANDIDATES_ASKED:
            options = OptimizeOptions(
                **{
                    **self.options,
                    "n_lineups": asked,
                    "min_unique": 1,
                    "max_exposure": 1.0,
                    "min_exposure": {},
                    "team_exposure": {},
                },
                locks=sorted({*fixed.values(), *self.locks}),
            )
            try:
                result = optimize(pool, options, progress=lambda *_: self.report(index, "swapping"))
            except InfeasibleError:
                return None
            for document in result["lineups"]:
                chosen = [self.by_id[entry["id"]] for entry in document["players"]]
                placed = place(self.rules, chosen, fixed)
                if placed is not None and _differs(placed, self.done, self.min_unique):
                    return placed
            if len(result["lineups"]) < asked:
                return None
        return None

    def run(self) -> tuple[list[list[str]], list[str]]:
        """Every lineup in the input's order, and warnings for those left unchanged."""
        warnings = []
        for index, lineup in enumerate(self.given):
            self.report(index, "swapping")
            swapped = self.swap(index)
            if swapped is None:
                warnings.append(
                    f"late swap: lineup {index + 1} cannot be completed around its started "
                    "players under the request's rules; returned unchanged"
                )
                swapped = lineup
            self.used.update(swapped)
            self.done.append(swapped)
        return self.done, warnings


def late_swap(
    players: Sequence[Player],
    job_input: Mapping[str, Any],
    options: Mapping[str, Any],
    progress: Callable[[float, str], None],
) -> dict[str, Any]:
    """The result document of a late-swap job (same shape as optimize's)."""
    total = len(job_input["late_swap"]["lineups"])
    swap = _Swap(players, job_input, options, lambda i, phase: progress(i / total, phase))
    lineups, warnings = swap.run()
    rules = swap.rules
    documents = []
    for lineup in lineups:
        chosen = [swap.by_id[pid] for pid in lineup]
        documents.append(
            {
                "players": [
                    {"slot": slot.name, "id": pid}
                    for slot, pid in zip(rules.slots, lineup, strict=True)
                ],
                "salary": sum(p["salary"] for p in chosen),
                "projection": round(
                    sum(
                        p["projection"] * rules.multiplier(p.get("roster_position")) for p in chosen
                    ),
                    4,
                ),
                **dict.fromkeys(("mean", "stdev", "p50", "p90", "p99", "best_frequency")),
            }
        )
    counts = Counter(pid for lineup in lineups for pid in lineup)
    return {
        "lineups": documents,
        "exposures": {pid: round(c / len(lineups), 4) for pid, c in sorted(counts.items())},
        "settings": {**options, "late_swap_now": job_input["late_swap"]["now"]},
        "n_candidates": len(lineups),
        "warnings": warnings,
    }
