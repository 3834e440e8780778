"""Contest simulation: our lineups against a realistic field, paid by DraftKings' rules.

`slate` (players, ownership, lineup checks), `field` and `sampler` (the field model),
`payouts` (prizes by rank, ties split), `ranking` (where our entries finish in each sim),
`simulate` (the sims in batches, tallies), `metrics` (the result document), `run` (one
request end to end) and `job` (the `contest` job kind). docs/contest.md describes the model.
"""
