"""What a contest request must keep once its players are known, checked at submit so a job is
never queued that could only fail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from webapp.contest.slate import ContestRequestError, ContestSlate, LineupError


class NoOwnershipError(ContestRequestError):
    """A modelled field needs projected ownership, and no player has one."""

    code = "no_ownership"


def _check_lineups(slate: ContestSlate, lineups: Sequence[Sequence[str]], where: str) -> None:
    for k, ids in enumerate(lineups):
        try:
            slate.lineup(ids)
        except LineupError as error:
            raise LineupError(f"{where} {k}: {error}", details={where: k}) from None


def check_contest(job_input: Mapping[str, Any]) -> None:
    """Raise a ContestRequestError for the first rule a POST /contests request breaks: every
    lineup (ours and the given field's) a valid lineup of the slate; some ownership to model a
    field from."""
    slate = ContestSlate(job_input["players"], job_input["sport"])
    _check_lineups(slate, job_input["lineups"], "lineup")
    check_field(slate, job_input["contest"])


def check_roi_selection(job_input: Mapping[str, Any]) -> None:
    """The same for the contest of an optimize request with selection "roi"."""
    check_field(ContestSlate(job_input["players"], job_input["sport"]), job_input["contest"])


def check_field(slate: ContestSlate, contest: Mapping[str, Any]) -> None:
    """A given field of valid lineups, or ownership to model one from."""
    given = contest.get("field_lineups")
    if given is not None:
        _check_lineups(slate, given, "field_lineup")
    elif not slate.has_ownership.any():
        raise NoOwnershipError(
            "no player has an ownership: the field is modelled from projected ownership "
            "(send players' ownership, PUT it into the slate, or give field_lineups)"
        )
