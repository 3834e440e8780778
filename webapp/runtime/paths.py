"""Where relative file settings point: the project root, whatever the working directory.

`scripts/serve` runs gunicorn from the project root, while an operator may run
`python -m webapp.drain` from anywhere; a relative DRAIN_FLAG_FILE resolved against each one's
working directory would name two different files and the drain would change nothing.
"""

from __future__ import annotations

from pathlib import Path


def project_root() -> Path:
    """The directory holding the `webapp` package (the repository in a checkout)."""
    return Path(__file__).resolve().parents[2]


def resolve(path: str) -> Path:
    """`path` as an absolute path; a relative one is taken from the project root."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else project_root() / candidate
