# Shortcuts; the scripts under scripts/ are what the README documents.
.PHONY: serve test test-fast test-latest lock lint format

serve:
	./scripts/serve

test:
	./scripts/test

# Unit and app tests without the slow fault-injection ones (all of them run in ./scripts/test).
test-fast:
	.venv/bin/python -m pytest tests/unit tests/app -q -m "not slow"

# Unit and app tests on the newest versions pyproject.toml's ranges allow, in a throwaway venv.
test-latest:
	./scripts/test-latest

# Refresh requirements/*.lock from pyproject.toml's ranges.
lock:
	./scripts/lock

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .
