"""Shares of the lineups as whole lineups: the one rounding every exposure rule uses.

A share of n lineups rarely lands on a whole number of lineups; these functions say how many it
allows. Products this close to a whole number are whole (0.3 * 10 is 2.9999999999999996).
"""

from __future__ import annotations

import math

EPSILON = 1e-9


def whole_lineups(share: float, n_lineups: int) -> int:
    """floor(share * n): the lineups a maximum share allows (a team's: may be 0)."""
    return math.floor(share * n_lineups + EPSILON)


def most_lineups(share: float, n_lineups: int) -> int:
    """The lineups a player's maximum share allows: floor(share * n), at least one while the
    share is above 0 (a small share keeps a player in one lineup, not out of all)."""
    return max(whole_lineups(share, n_lineups), 1) if share > 0 else 0


def fewest_lineups(share: float, n_lineups: int) -> int:
    """ceil(share * n): the lineups a minimum share asks for."""
    return math.ceil(share * n_lineups - EPSILON)
