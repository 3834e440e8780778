"""What the optimizer rounds in a request, said back to the client as warnings.

Exposure caps become whole lineups: a player may appear in floor(share * n_lineups) lineups, and
in at least one while his share is above zero (`optimizer.shares.most_lineups`). A cap that
does not land on a whole number of lineups is not what was asked, so each such rounding is named.
"""

from __future__ import annotations

from typing import Any

from webapp.optimizer.shares import EPSILON, most_lineups


def _rounded(share: float, n_lineups: int) -> tuple[float, int] | None:
    """(asked lineups, allowed lineups) when `share` of n_lineups is not a whole number."""
    asked = share * n_lineups
    allowed = most_lineups(share, n_lineups)
    if abs(asked - allowed) <= EPSILON:
        return None
    return asked, allowed


def _describe(what: str, share: float, n_lineups: int, asked: float, allowed: int) -> str:
    how = "raised" if allowed > asked else "rounded down"
    return (
        f"{what} {share:g} of {n_lineups} lineups is {asked:g} lineups; {how} to {allowed} "
        f"({allowed / n_lineups:g} of the lineups)"
    )


def exposure_warnings(job_input: dict[str, Any]) -> list[str]:
    """One warning per exposure cap of the request that is not a whole number of lineups."""
    n_lineups = int(job_input.get("n_lineups") or 1)
    locks = set(job_input.get("locks") or ())
    warnings = []
    share = float(job_input.get("max_exposure", 1.0))
    rounding = _rounded(share, n_lineups)
    if rounding:
        warnings.append(_describe("max_exposure", share, n_lineups, *rounding))
    for player_id, player_share in sorted((job_input.get("exposure") or {}).items()):
        rounding = _rounded(float(player_share), n_lineups)
        if rounding and player_id not in locks:
            warnings.append(
                _describe(f"exposure of {player_id}", player_share, n_lineups, *rounding)
            )
    return warnings
