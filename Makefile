# `make run` and `make test` set everything up on a fresh Debian 12 / Python 3.11 machine, then work.
VENV := .venv
PY := $(VENV)/bin/python
OUT ?= out/run

.PHONY: bootstrap run test bench clean

bootstrap:
	@bash tools/bootstrap.sh

run: bootstrap
	$(PY) -m fusion run --out $(OUT)

test: bootstrap
	$(PY) -m pytest -q

bench: bootstrap
	$(PY) -m fusion bench all --json out/bench.json

clean:
	rm -rf out .pytest_cache .benchmarks
