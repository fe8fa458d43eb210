# The two commands of the quick start are `make demo` and `make test`; each sets up what it needs.
.PHONY: setup demo test bench bench-live lint

setup:
	bash scripts/setup.sh

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

bench: setup
	.venv/bin/python -m bench

bench-live: setup
	.venv/bin/python -m bench.live

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy convenor
