"""The result of a contest simulation: per lineup, per player, the portfolio and the field.

Percentages are of sims (win_pct, top1_pct, cash_pct, p_profit) or of entries (ownership,
exposure). roi is 100 * (mean payout - fee) / fee; roi_se its standard error over the sims
(sample standard deviation of the payout / sqrt(n_sims) / fee, in percent), which shrinks
like 1 / sqrt(n_sims).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from webapp.contest.simulate import Tallies
from webapp.contest.slate import ContestSlate
from webapp.optimizer.report import lineup_document


def _pct(count: float, total: int) -> float:
    return round(float(100 * count / total), 4) if total else 0.0


def _se(total: np.ndarray | float, squares: np.ndarray | float, n: int) -> np.ndarray | float:
    """Standard error of a mean from sums of values and of their squares over n sims."""
    if n < 2:
        return np.zeros_like(total) if isinstance(total, np.ndarray) else 0.0
    variance = (squares - total * total / n) / (n - 1)
    return np.sqrt(np.maximum(variance, 0.0) / n)


def lineup_rows(
    slate: ContestSlate, ours: np.ndarray, tallies: Tallies, fee: float, dupes: np.ndarray
) -> list[dict[str, Any]]:
    """Each entered lineup with its simulated contest statistics, in the order entered."""
    n = tallies.sims
    mean = tallies.payout / n
    roi_se = 100 * _se(tallies.payout, tallies.payout_sq, n) / fee
    rows = []
    for k, members in enumerate(ours.tolist()):
        owned = slate.ownership[members] * 100
        document = lineup_document(slate.slate, members)
        document["players"] = [
            {**entry, "name": slate.players[slate.index[entry["id"]]].name}
            for entry in document["players"]
        ]
        rows.append(
            {
                **document,
                "roi": round(float(100 * (mean[k] - fee) / fee), 4),
                "roi_se": round(float(roi_se[k]), 4),
                "win_pct": _pct(tallies.wins[k], n),
                "top1_pct": _pct(tallies.top[k], n),
                "cash_pct": _pct(tallies.cashes[k], n),
                "mean_payout": round(float(mean[k]), 4),
                "dupes": int(dupes[k]),
                "ownership_sum": round(float(owned.sum()), 4),
                "ownership_product": float(np.prod(owned / 100)),
            }
        )
    return rows


def player_rows(
    slate: ContestSlate, ours: np.ndarray, tallies: Tallies, field_shares: np.ndarray
) -> list[dict[str, Any]]:
    """Every player: projected and field ownership, our exposure, how often he is in a
    sim's best lineup (optimal_pct, over the sims solved for it) and leverage."""
    exposure = np.bincount(ours.ravel(), minlength=len(slate)) / max(len(ours), 1)
    optimal = tallies.optimal / max(tallies.optimal_sims, 1)
    rows = []
    for i, player in enumerate(slate.players):
        projected = float(slate.ownership[i] * 100)
        rows.append(
            {
                "id": player.id,
                "name": player.name,
                "proj_ownership": round(projected, 4),
                "field_ownership": round(float(field_shares[i] * 100), 4),
                "exposure": round(float(exposure[i] * 100), 4),
                "optimal_pct": round(float(optimal[i] * 100), 4),
                "leverage": round(float(optimal[i] * 100) - projected, 4),
            }
        )
    return rows


def portfolio_row(tallies: Tallies, fee: float) -> dict[str, Any]:
    """All our entries together: roi of the summed payouts, its standard error, and the share
    of sims in which they paid back more than their fees."""
    n, fees = tallies.sims, fee * tallies.entries
    mean = tallies.total / n
    return {
        "entries": tallies.entries,
        "fees": round(fees, 2),
        "mean_payout": round(mean, 4),
        "roi": round(100 * (mean - fees) / fees, 4),
        "roi_se": round(100 * float(_se(tallies.total, tallies.total_sq, n)) / fees, 4),
        "p_profit": _pct(tallies.profits, n),
    }
