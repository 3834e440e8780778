"""A no-op task for the RQ baseline."""


def noop() -> None:
    """Do nothing."""
    return None
