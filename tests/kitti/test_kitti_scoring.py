"""On real KITTI data: calibration projects labelled boxes onto their 2D boxes; TrackEval scores the
ground truth, given back as tracker output, as perfect; 3D IoU agrees with sampling."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from datasets.kitti.box_iou import iou_3d
from datasets.kitti.calibration import read_calibration
from datasets.kitti.frames import kitti_to_flu_boxes
from datasets.kitti.layout import KittiLayout
from datasets.kitti.objects import read_tracking_file, write_tracking_file
from datasets.kitti.scoring import score_results
from fusion.camera_fusion.projection import project_boxes_3d
from fusion.core.boxes import points_in_boxes


def test_labelled_3d_boxes_project_onto_their_2d_boxes(kitti_train: Path):
    layout = KittiLayout(kitti_train)
    labels = read_tracking_file(layout.labels("0000"))
    labels = labels.select(np.isin(labels.types, ["Car", "Van", "Pedestrian", "Cyclist"]) & (labels.truncated == 0)
                           & (labels.occluded == 0))
    camera, T_camera_kitti = read_calibration(layout.calibration("0000")).camera(2, 1242, 375)
    boxes, visible = project_boxes_3d(camera, T_camera_kitti, *kitti_to_flu_boxes(labels.dimensions, labels.locations, labels.rotation_y))
    error = np.abs(boxes - labels.boxes_2d)
    assert visible.all()
    assert np.median(error) < 1.0
    assert np.percentile(error, 90) < 3.0


def test_ground_truth_as_tracker_output_scores_perfectly(small_kitti: Path, tmp_path: Path):
    layout = KittiLayout(small_kitti)
    entries = layout.sequences()
    for entry in entries:
        labels = read_tracking_file(layout.labels(entry.name), entry.n_frames)
        write_tracking_file(tmp_path / f"{entry.name}.txt", labels.of_types("Car", "Pedestrian", "Cyclist"))
    figures = score_results(small_kitti, tmp_path, entries, ["Car", "Pedestrian", "Cyclist"])
    for cls in ("Car", "Pedestrian", "Cyclist"):
        fig = figures[cls]
        assert fig["TP"] > 0, cls
        for name in ("HOTA", "DetA", "AssA", "MOTA", "HOTA_3d", "MOTA_3d"):
            assert fig[name] == pytest.approx(100.0), (cls, name)
        assert fig["IDSW"] == fig["FP"] == fig["FN"] == fig["IDSW_3d"] == 0


def test_shifted_tracks_lose_3d_but_not_2d_matches(small_kitti: Path, tmp_path: Path):
    """Boxes moved 2 m away along the camera ray keep their 2D box but fall under 3D IoU 0.25."""
    layout = KittiLayout(small_kitti)
    entries = layout.sequences()
    for entry in entries:
        cars = read_tracking_file(layout.labels(entry.name), entry.n_frames).of_types("Car")
        cars.locations = cars.locations * (1 + 2.0 / np.linalg.norm(cars.locations, axis=1, keepdims=True))
        write_tracking_file(tmp_path / f"{entry.name}.txt", cars)
    fig = score_results(small_kitti, tmp_path, entries, ["Car"])["Car"]
    assert fig["MOTA"] == pytest.approx(100.0)
    assert fig["MOTA_3d"] < 50.0 and fig["FN_3d"] > 0


def test_iou_3d_matches_point_sampling():
    rng = np.random.default_rng(7)
    for _ in range(4):
        ca, sa, ya = rng.normal(0, 0.7, (1, 3)), rng.uniform(1, 4, (1, 3)), rng.uniform(-3, 3, 1)
        cb, sb, yb = ca + rng.normal(0, 0.7, (1, 3)), rng.uniform(1, 4, (1, 3)), rng.uniform(-3, 3, 1)
        points = rng.uniform(np.minimum(ca, cb) - 3, np.maximum(ca, cb) + 3, (400_000, 3))
        in_a, in_b = points_in_boxes(points, ca, sa, ya)[0], points_in_boxes(points, cb, sb, yb)[0]
        sampled = (in_a & in_b).sum() / max((in_a | in_b).sum(), 1)
        assert iou_3d(ca, sa, ya, cb, sb, yb)[0, 0] == pytest.approx(sampled, abs=0.01)
    assert iou_3d(ca, sa, ya, ca, sa, ya + np.pi)[0, 0] == pytest.approx(1.0)
    assert iou_3d(ca, sa, ya, np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0)).shape == (1, 0)
