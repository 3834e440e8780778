"""Lineups as the service makes them: the optimize job kind, refusals at submit, late swap,
the upload CSV."""
