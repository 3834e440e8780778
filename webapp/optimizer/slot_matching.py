"""Put a lineup's players into roster slots: a bipartite matching by augmenting paths."""

from __future__ import annotations

from collections.abc import Sequence


def match_slots(eligible: Sequence[frozenset[int]], n_slots: int) -> dict[int, int] | None:
    """Slot index -> player index (into `eligible`) filling as many slots as possible with
    distinct players; None entries are simply absent. Deterministic for equal input."""
    slot_of: dict[int, int] = {}
    # Most constrained players first, so the common case needs no augmenting.
    order = sorted(range(len(eligible)), key=lambda i: (len(eligible[i]), i))

    def place(i: int, seen: set[int]) -> bool:
        for slot in sorted(eligible[i]):
            if slot in seen or slot >= n_slots:
                continue
            seen.add(slot)
            if slot not in slot_of or place(slot_of[slot], seen):
                slot_of[slot] = i
                return True
        return False

    for i in order:
        place(i, set())
    return slot_of


def assign_slots(eligible: Sequence[frozenset[int]], n_slots: int) -> list[int] | None:
    """For each slot in order, the index of the player filling it; None if they can't."""
    slot_of = match_slots(eligible, n_slots)
    if slot_of is None or len(slot_of) < n_slots or len(eligible) != n_slots:
        return None
    return [slot_of[s] for s in range(n_slots)]
