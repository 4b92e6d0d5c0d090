# `make run` and `make test` set everything up on a fresh Debian 12 / Python 3.11 machine, then work.
VENV := .venv
PY := $(VENV)/bin/python
OUT ?= out/run

.PHONY: bootstrap bootstrap-ros run test bench clean

bootstrap:
	@bash tools/bootstrap.sh

# .venv-ros: real rclpy (PyPI wheels) and the generated message packages, kept apart from .venv
# because the ROS wheels re-execute Python through a .pth hook.
bootstrap-ros:
	@bash tools/bootstrap_ros.sh

run: bootstrap
	$(PY) -m fusion run --out $(OUT)

test: bootstrap bootstrap-ros
	$(PY) -m pytest -q

bench: bootstrap
	$(PY) -m fusion bench all --json out/bench.json

clean:
	rm -rf out .pytest_cache .benchmarks
