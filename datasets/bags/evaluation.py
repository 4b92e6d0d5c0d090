"""Score replays against their bags' ground truth with the simulation metrics adapter
(datasets.evaluation.metrics: TrackEval HOTA, CLEAR, Identity on ground-plane centre distance, and
position / velocity RMSE), per bag and merged over all bags, and plot each bag.

Object lists and truth frames are paired by stamp. When the bag has /ground_truth/odometry and the
graph estimated the ego pose, both sides are compared in base_link at that stamp (truth through
the true ego pose, tracks through the estimated one): the ego estimator anchors its map frame at
the first GNSS fix, not at the recording's map origin, so map coordinates of the two differ by an
offset that is no fault of the tracker. Otherwise (e.g. KITTI, tracked in the vehicle's own frame)
both are compared as they are.
"""
from __future__ import annotations

import bisect
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from datasets.bags.replay import ReplayResult
from datasets.evaluation.metrics import build_sequence, score
from datasets.simulation.scenario import TruthFrame
from fusion.core.objects import ObjectList
from fusion.core.transform import Transform
from fusion.ego.state import Odometry

MAX_DISTANCE_M = 4.0   # similarity reaches 0 at 4 m; CLEAR matches within 2 m (as `taishan eval sim`)


def _pose_at(odometry: list[Odometry], stamps: list[int], stamp_ns: int) -> Transform | None:
    """T_map_base at a stamp, interpolated between the two odometry samples around it."""
    i = bisect.bisect_left(stamps, stamp_ns)
    if i < len(stamps) and stamps[i] == stamp_ns:
        return odometry[i].transform()
    if i == 0 or i == len(stamps):
        return None
    f = (stamp_ns - stamps[i - 1]) / (stamps[i] - stamps[i - 1])
    return odometry[i - 1].transform().interpolate(odometry[i].transform(), f)


def _truth_in_base(frame: TruthFrame, T_map_base: Transform) -> TruthFrame:
    to_base = T_map_base.inverse()
    return replace(frame, centers=to_base.apply(frame.centers), velocities=to_base.rotate(frame.velocities))


def _tracks_in_base(objects: ObjectList, T_map_base: Transform) -> ObjectList:
    to_base = T_map_base.inverse()
    out = objects.select(np.arange(len(objects)))
    out.position = to_base.apply(objects.position).reshape(-1, 3)
    out.velocity = to_base.rotate(objects.velocity).reshape(-1, 3)
    return out


def paired_frames(result: ReplayResult) -> tuple[list[TruthFrame], list[ObjectList]]:
    """Truth frames and object lists at the stamps both have, in a common frame (see module doc)."""
    lists = {ol.stamp_ns: ol for ol in result.object_lists}
    relative = bool(result.ego_truth and result.ego_estimate)
    true_stamps = [o.stamp_ns for o in result.ego_truth]
    est_stamps = [o.stamp_ns for o in result.ego_estimate]
    truths, tracks = [], []
    for frame in result.truth:
        objects = lists.get(frame.stamp_ns)
        if objects is None:
            continue
        if relative:
            true_pose = _pose_at(result.ego_truth, true_stamps, frame.stamp_ns)
            est_pose = _pose_at(result.ego_estimate, est_stamps, frame.stamp_ns)
            if true_pose is None or est_pose is None:
                continue   # before the ego estimate exists, the tracker has no map frame either
            frame, objects = _truth_in_base(frame, true_pose), _tracks_in_base(objects, est_pose)
        truths.append(frame)
        tracks.append(objects)
    return truths, tracks


def _plot(name: str, truths: list[TruthFrame], tracks: list[ObjectList], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t0 = truths[0].stamp_ns
    times = [(f.stamp_ns - t0) / 1e9 for f in truths]
    fig, (counts, bev) = plt.subplots(1, 2, figsize=(12, 4.5))
    counts.plot(times, [int(np.sum(f.visible)) for f in truths], label="visible truth objects", color="0.4")
    counts.plot(times, [len(o) for o in tracks], label="reported tracks", color="tab:blue")
    counts.set_xlabel("time [s]")
    counts.set_ylabel("objects")
    counts.legend()
    counts.set_title(f"{name}: objects per frame")
    last_truth, last_tracks = truths[-1], tracks[-1]
    vis = last_truth.visible.astype(bool)
    bev.scatter(last_truth.centers[vis, 0], last_truth.centers[vis, 1], s=40, facecolors="none", edgecolors="0.3", label="truth")
    bev.scatter(last_tracks.position[:, 0], last_tracks.position[:, 1], s=12, color="tab:blue", label="tracks")
    bev.set_aspect("equal")
    bev.set_xlabel("x [m]")
    bev.set_ylabel("y [m]")
    bev.legend()
    bev.set_title("last frame, bird's-eye view")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def evaluate_replays(results: list[ReplayResult], plots: Path | None, max_distance_m: float = MAX_DISTANCE_M) -> dict[str, Any]:
    """{'per_bag': {name: metrics}, 'overall': metrics over every bag, 'plots': [paths], 'skipped': [...]}"""
    sequences, per_bag, figures, skipped = {}, {}, [], []
    for r in results:
        name = Path(r.bag).stem or Path(r.bag).name
        truths, tracks = paired_frames(r)
        if not truths:
            skipped.append(f"{r.bag}: no ground-truth frame at an object-list stamp (does it have /ground_truth/objects?)")
            continue
        sequences[name] = build_sequence(truths, tracks, max_distance_m)
        per_bag[name] = {**score({name: sequences[name]}), "frames": len(truths)}
        if plots is not None:
            figures.append(str(_plot(name, truths, tracks, Path(plots) / f"{name}_eval.png")))
    overall = score(sequences) if sequences else {}
    return {"per_bag": per_bag, "overall": overall, "plots": figures, "skipped": skipped,
            "max_distance_m": max_distance_m}
