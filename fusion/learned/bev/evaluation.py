"""Scoring BEV detections against simulated ground truth inside the raster's area, for any detector
(the learned one, the classical lidar front-end) so both are measured the same way."""
from __future__ import annotations

import numpy as np

from fusion.learned.bev.average_precision import ApAccumulator, FrameBoxes
from fusion.learned.bev.config import BevDetectorConfig
from fusion.learned.bev.targets import GroundTruth


def in_area(config: BevDetectorConfig, xy: np.ndarray) -> np.ndarray:
    r = config.raster
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return (xy[:, 0] >= r.x_min_m) & (xy[:, 0] < r.x_max_m) & (xy[:, 1] >= r.y_min_m) & (xy[:, 1] < r.y_max_m)


def truth_boxes(config: BevDetectorConfig, truth: GroundTruth) -> FrameBoxes:
    """Ground truth in the area; boxes with fewer than targets.min_points lidar points are ignored."""
    keep = in_area(config, truth.centers[:, :2])
    t = truth.select(keep)
    return FrameBoxes(np.column_stack([t.centers[:, :2], t.sizes[:, :2], t.yaws]), t.classes,
                      ignore=t.points < config.targets.min_points)


def detected_boxes(config: BevDetectorConfig, centers: np.ndarray, sizes: np.ndarray, yaws: np.ndarray,
                   classes: np.ndarray, scores: np.ndarray) -> FrameBoxes:
    keep = in_area(config, centers[:, :2])
    return FrameBoxes(np.column_stack([centers[keep, :2], sizes[keep, :2], yaws[keep]]), classes[keep], scores=scores[keep])


def accumulator(config: BevDetectorConfig) -> ApAccumulator:
    return ApAccumulator(config.model.class_values(), config.decode.max_detections)
