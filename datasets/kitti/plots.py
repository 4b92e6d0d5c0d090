"""Plots of a KITTI evaluation: HOTA against the localisation threshold alpha, and a bird's-eye
view of tracks against ground truth for one sequence (matplotlib, Agg backend)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from datasets.kitti.frames import kitti_to_flu_boxes
from datasets.kitti.objects import KittiObjects

ALPHAS = np.arange(0.05, 0.99, 0.05)  # TrackEval's HOTA thresholds


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_hota_alpha(figures: dict[str, dict[str, Any]], title: str, path: Path) -> Path:
    """HOTA (2D and, where scored, 3D) against alpha, one line per class."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for cls, fig_cls in figures.items():
        line, = ax.plot(ALPHAS, fig_cls["HOTA_alpha"], marker="o", ms=3, label=f"{cls} 2D (HOTA {fig_cls['HOTA']:.1f})")
        if "HOTA_alpha_3d" in fig_cls:
            ax.plot(ALPHAS, fig_cls["HOTA_alpha_3d"], ls="--", color=line.get_color(), label=f"{cls} 3D IoU")
    ax.set_xlabel("localisation threshold alpha (IoU)")
    ax.set_ylabel("HOTA_alpha [%]")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _tracks_bev(ax, objects: KittiObjects, title: str) -> None:
    centers, _, _ = kitti_to_flu_boxes(objects.dimensions, objects.locations, objects.rotation_y)
    cmap = _pyplot().get_cmap("tab20")
    for k, track in enumerate(np.unique(objects.track_ids)):
        rows = np.flatnonzero(objects.track_ids == track)
        rows = rows[np.argsort(objects.frames[rows])]
        colour = cmap(k % 20)
        ax.plot(-centers[rows, 1], centers[rows, 0], "-", color=colour, lw=1.2)
        ax.plot(-centers[rows[-1], 1], centers[rows[-1], 0], "o", color=colour, ms=3)
        ax.annotate(str(track), (-centers[rows[0], 1], centers[rows[0], 0]), fontsize=6, color=colour)
    ax.set_title(f"{title} ({len(np.unique(objects.track_ids))} tracks)")
    ax.set_xlabel("right [m] (-y)")
    ax.set_aspect("equal", adjustable="box")
    ax.grid(alpha=0.3)


def plot_bev(ground_truth: KittiObjects, tracks: KittiObjects, classes: list[str], sequence: str, path: Path) -> Path:
    """Ground-truth and tracker trajectories side by side, seen from above in the (moving) sensor
    frame: forward up, right to the right; a dot marks each track's last position."""
    plt = _pyplot()
    gt = ground_truth.select(np.isin(ground_truth.types, classes) & (ground_truth.track_ids >= 0))
    ours = tracks.select(np.isin(tracks.types, classes))
    fig, axes = plt.subplots(1, 2, figsize=(12, 7), sharex=True, sharey=True)
    _tracks_bev(axes[0], gt, f"ground truth, sequence {sequence}")
    _tracks_bev(axes[1], ours, f"tracker, sequence {sequence}")
    axes[0].set_ylabel("forward [m] (x)")
    fig.suptitle(f"bird's-eye view, classes {', '.join(classes)}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
