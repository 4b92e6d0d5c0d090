"""The KITTI evaluation behind `taishan eval kitti`: run the tracker over every sequence of a seqmap,
one class at a time, write `<out>/data/SSSS.txt`, score with TrackEval, and draw the plots."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

from datasets.kitti.config import load_kitti_config
from datasets.kitti.layout import KittiLayout
from datasets.kitti.objects import KittiObjects, read_tracking_file, write_tracking_file
from datasets.kitti.pipeline import TrackerBuilder, track_sequence
from datasets.kitti.plots import plot_bev, plot_hota_alpha
from datasets.kitti.scoring import score_results
from datasets.kitti.sequence import load_sequence
from fusion.core.errors import InputError


def evaluate(data: Path, out: Path, classes: list[str], use_camera: bool, config_path: Path,
             plot_sequence: str | None = None, with_3d: bool = True, sequences: list[str] | None = None,
             association: Callable[[str, str], TrackerBuilder] | None = None) -> dict[str, Any]:
    """Track, write, score and plot. Returns {"classes": {cls: figures}, "plots": [...], ...}; the
    per-class figures include `fps`: frames per CPU second of this process spent tracking that class
    (reading and converting files excluded; CPU time, so other load on the machine does not count).
    `association(sequence, cls)`: the tracker builder replacing the Kalman association (track_sequence's
    hook), e.g. fusion.learned.association.kitti.LearnedKittiAssociation; None: the configured one."""
    from tqdm import tqdm

    config = load_kitti_config(config_path)
    layout = KittiLayout(Path(data))
    entries = layout.sequences()
    if sequences is not None:
        missing = sorted(set(sequences) - {e.name for e in entries})
        if missing:
            raise InputError(str(layout.seqmap), f"sequence(s) {missing} are not in the seqmap")
        entries = [e for e in entries if e.name in sequences]
    if plot_sequence is not None and plot_sequence not in {e.name for e in entries}:
        raise InputError("--plot-seq", f"sequence {plot_sequence!r} is not evaluated (seqmap: {', '.join(e.name for e in entries)})")
    results_dir = out / "data"
    seconds = {c: 0.0 for c in classes}
    frames = 0
    per_sequence: dict[str, KittiObjects] = {}
    for entry in tqdm(entries, desc="KITTI sequences", unit="seq", file=sys.stderr):
        sequence = load_sequence(layout, entry, classes, use_camera)
        parts = []
        for cls in classes:
            build = association(entry.name, cls) if association is not None else None
            run = track_sequence(sequence, cls, config, use_camera, build_tracker=build)
            seconds[cls] += run.tracking_s
            # one tracker per class, each numbering from 1: shift ids to keep them unique in the file
            run.objects.track_ids = run.objects.track_ids + max((int(p.track_ids.max()) for p in parts if len(p)), default=0)
            parts.append(run.objects)
        per_sequence[entry.name] = KittiObjects.concatenate(parts)
        write_tracking_file(results_dir / f"{entry.name}.txt", per_sequence[entry.name])
        frames += entry.n_frames
    figures = score_results(layout.root, results_dir, entries, classes, with_3d=with_3d)
    for cls in classes:
        figures[cls]["fps"] = frames / max(seconds[cls], 1e-9)
    sensors = "lidar+camera" if use_camera else "lidar"
    plot_seq = plot_sequence or entries[0].name
    plots = [
        plot_hota_alpha(figures, f"KITTI tracking ({sensors}), {len(entries)} sequences", out / "plots" / "hota_alpha.png"),
        plot_bev(read_tracking_file(layout.labels(plot_seq)), per_sequence[plot_seq], classes, plot_seq,
                 out / "plots" / f"bev_{plot_seq}.png"),
    ]
    summary = {"classes": figures, "sensors": sensors, "sequences": [e.name for e in entries], "frames": frames,
               "data": str(layout.root), "config": str(config_path), "plots": [str(p) for p in plots],
               "association": "kalman" if association is None else str(association)}
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
