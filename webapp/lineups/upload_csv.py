"""Lineups as DraftKings' upload file: a header of the game type's roster slots, a row of ids
each (in showdown the id of the row made for the slot: the captain's CPT row, FLEX/UTIL rows)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from webapp.optimizer.rules import GameType


def upload_header(rules: GameType) -> list[str]:
    """The roster slots in DraftKings' order, e.g. QB,RB,RB,WR,WR,WR,TE,FLEX,DST."""
    return [slot.name for slot in rules.slots]


def slot_ordered_ids(header: Sequence[str], players: Sequence[Mapping[str, Any]]) -> list[str]:
    """The lineup's player ids under `header`: each slot takes the next player listed in it."""
    by_slot: dict[str, list[str]] = {}
    for player in players:
        by_slot.setdefault(player["slot"], []).append(str(player["id"]))
    try:
        return [by_slot[slot].pop(0) for slot in header]
    except (KeyError, IndexError):
        raise ValueError(f"a lineup does not fill the slots {list(header)}") from None


def upload_csv(rules: GameType, lineups: Sequence[Mapping[str, Any]]) -> str:
    """The CSV text DraftKings accepts as a lineup upload."""
    header = upload_header(rules)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for lineup in lineups:
        writer.writerow(slot_ordered_ids(header, lineup["players"]))
    return out.getvalue()
