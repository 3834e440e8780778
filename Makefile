# Shortcuts; the scripts under scripts/ are what the README documents.
.PHONY: serve test test-fast lint format

serve:
	./scripts/serve

test:
	./scripts/test

test-fast:
	.venv/bin/python -m pytest tests/unit tests/app -q

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .
