"""Replay many bags at once: in worker processes on this machine, or as tasks on a Ray cluster.

Each bag is replayed on its own (a bag is one recording); results come back in the order the
bags were given, whatever order the workers finish in, so a merged evaluation is deterministic.
"""
from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Sequence

from datasets.bags.replay import ReplayResult, replay_bag
from fusion.core.errors import TaishanError
from fusion.graph.build import GraphConfigs


def output_path(out: Path | None, bag: Path, many: bool) -> Path | None:
    """One bag: `out` itself. Several: `out` is a folder holding <bag name>.mcap per bag."""
    if out is None:
        return None
    return out / f"{Path(bag).stem or Path(bag).name}.mcap" if many else out


def _replay_one(job: tuple[Path, GraphConfigs, Path | None, bool, bool, bool]) -> ReplayResult:
    bag, configs, out, record_inputs, overwrite, truth = job
    return replay_bag(bag, configs, out=out, record_inputs=record_inputs, overwrite=overwrite, truth=truth)


def replay_many(bags: Sequence[Path], configs: GraphConfigs, *, out: Path | None = None, record_inputs: bool = False,
                overwrite: bool = False, truth: bool = False, workers: int = 1, ray_address: str | None = None,
                progress: bool = False) -> list[ReplayResult]:
    many = len(bags) > 1
    names = [Path(b).stem or Path(b).name for b in bags]
    if many and out is not None and len(set(names)) != len(names):
        raise TaishanError("several bags share a name; their outputs would collide in the --out folder")
    jobs = [(Path(b), configs, output_path(out, Path(b), many), record_inputs, overwrite, truth) for b in bags]
    if ray_address:
        return _replay_on_ray(jobs, ray_address)
    if workers <= 1 or len(jobs) == 1:
        return [replay_bag(b, c, out=o, record_inputs=r, overwrite=w, truth=t, progress=progress) for b, c, o, r, w, t in jobs]
    # The platform's default start method: fork on Linux, so workers start with the modules loaded.
    with multiprocessing.Pool(min(workers, len(jobs))) as pool:
        return pool.map(_replay_one, jobs, chunksize=1)


def _replay_on_ray(jobs: list[tuple], address: str) -> list[ReplayResult]:
    """One Ray task per bag on an existing cluster ('auto', 'ray://host:10001', 'host:6379'), or on a
    private single-node Ray instance started for this run ('local'; Ray 2.5x no longer has a
    local mode). The bags' paths must be readable where the tasks run (shared storage)."""
    try:
        import ray
    except ImportError:
        raise TaishanError("--ray needs Ray: pip install 'taishan[ray]'") from None
    ray.init(address=None if address == "local" else address, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(_replay_one)
        return ray.get([task.remote(job) for job in jobs])
    finally:
        ray.shutdown()
