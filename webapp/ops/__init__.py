"""Operator tooling that is not part of serving requests: which Redis the CLI acts on."""
