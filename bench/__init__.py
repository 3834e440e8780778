"""Benchmarks of the service: `python -m bench --help`."""
