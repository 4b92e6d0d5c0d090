"""Lidar front-end: stages on constructed scenes, and the detector on a real VoD HDL-64 sweep."""
from __future__ import annotations

import numpy as np
import pytest

from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.core.measurements import LidarPointCloud
from sensors.lidar.bev_grid import BevGrid
from sensors.lidar.box_fitting import fit_boxes
from sensors.lidar.clustering import grid_clusters
from sensors.lidar.detector import LidarDetector, LidarDetectorConfig
from sensors.lidar.ground import ground_height
from sensors.lidar.preprocess import deskew, pillar_downsample


def _l_shape(center, length, width, yaw, step=0.05):
    """The two faces of a box a lidar at the origin sees (an L), as points at heights 0.3 .. 1.5."""
    along = np.arange(-length / 2, length / 2, step)
    across = np.arange(-width / 2, width / 2, step)
    local = np.vstack([np.column_stack([along, np.full_like(along, -width / 2)]),
                       np.column_stack([np.full_like(across, -length / 2), across])])
    c, s = np.cos(yaw), np.sin(yaw)
    xy = local @ np.array([[c, s], [-s, c]]) + center
    return np.vstack([np.column_stack([xy, np.full(len(xy), z)]) for z in np.arange(0.3, 1.6, 0.2)])


def test_l_shape_fit_recovers_yaw_size_and_centre_of_partial_views():
    grid = BevGrid(0.1, 40.0)
    for yaw in (0.0, 0.3, -0.7, 1.2):
        points = _l_shape(np.array([12.0, 4.0]), 4.6, 1.9, yaw)
        pillars = pillar_downsample(*points.T, np.zeros(len(points)), grid)
        boxes = fit_boxes(pillars, np.zeros(len(pillars), dtype=np.int64), 1, yaw_step_deg=1.0)
        expected = (yaw + np.pi / 2) % np.pi - np.pi / 2
        assert abs(np.angle(np.exp(2j * (boxes.yaws[0] - expected)))) / 2 < np.radians(2)
        np.testing.assert_allclose(boxes.sizes[0], [4.6, 1.9, 1.5], atol=0.15)
        np.testing.assert_allclose(boxes.centers[0], [12.0, 4.0, 0.75], atol=0.15)
        assert boxes.clearance[0] == pytest.approx(0.3)


def test_ground_model_follows_a_ramp_and_keeps_objects():
    rng = np.random.default_rng(0)
    xy = rng.uniform(-30, 30, (20000, 2))
    road = 0.08 * np.clip(xy[:, 0], 0, None)                 # flat, then an 8 % ramp
    ground_points = np.column_stack([xy, road - 1.8])
    person = np.column_stack([rng.normal(20.0, 0.15, 300), rng.normal(0.0, 0.15, 300), rng.uniform(0.0, 1.7, 300) + 1.6 - 1.8])
    points = np.vstack([ground_points, person])
    height = points[:, 2] - ground_height(*points.T, BevGrid(1.0, 40.0), max_step_m=0.3)
    assert np.percentile(np.abs(height[:20000]), 99) < 0.1     # the ramp is ground everywhere
    assert np.mean(height[20000:] > 0.2) > 0.85                # the person standing on it is not


def test_grid_clusters_separate_objects_and_drop_small_and_huge_ones():
    grid = BevGrid(0.25, 40.0)
    a = np.random.default_rng(1).uniform([5, 5], [6, 6], (50, 2))
    b = a + [3.0, 0.0]                                      # 2 m gap: separate
    speck = np.array([[20.0, 20.0]])                         # one return: dropped
    wall = np.column_stack([np.linspace(-15, 15, 400), np.full(400, -10.0)])   # 30 m: structure
    labels, count = grid_clusters(np.vstack([a, b, speck, wall]), grid, min_points=4, max_extent_m=20.0)
    assert count == 2
    assert len(set(labels[:50])) == 1 and len(set(labels[50:100])) == 1 and labels[0] != labels[50]
    assert np.all(labels[100:] == -1)


def test_occupied_cell_components_are_those_scipy_ndimage_labels():
    """8-connected components of the occupied cells only, numbered in row-major order of their first
    cell, as ndimage.label numbers them over the whole grid (edges and corners included)."""
    from scipy import ndimage

    from sensors.lidar.clustering import occupied_components

    rng = np.random.default_rng(2)
    size = 60
    for density in (0.02, 0.3, 0.6):
        grid = rng.random((size, size)) < density
        grid[0, :] = grid[:, -1] = True                       # cells on the borders must not wrap around
        cells = np.flatnonzero(grid)
        occupied, labels, count = occupied_components(rng.permutation(np.repeat(cells, 2)), size)
        reference, reference_count = ndimage.label(grid, structure=np.ones((3, 3), dtype=bool))
        np.testing.assert_array_equal(occupied, cells)
        assert count == reference_count
        np.testing.assert_array_equal(labels, reference.reshape(-1)[cells] - 1)


def test_deskew_undoes_a_constant_twist():
    rng = np.random.default_rng(2)
    world = rng.uniform(-20, 20, (100, 3))
    times = rng.uniform(0.0, 0.1, 100)
    v, w = np.array([10.0, 0.5, 0.0]), np.array([0.0, 0.0, 0.4])
    # the sensor at time t sits at v t rotated by w t: it sees p_t = R(w t)^T (p - v t)
    from fusion.core import quaternion as quat
    seen = quat.rotate(quat.conjugate(quat.from_rotvec(w[None] * times[:, None])), world - v * times[:, None])
    np.testing.assert_allclose(deskew(seen, times, v, w), world, atol=1e-9)


def test_empty_cloud_is_an_error_and_the_detector_keeps_working():
    detector = LidarDetector()
    with pytest.raises(InputError, match="sensor 'lidar_top'.*empty point cloud"):
        detector.detect(LidarPointCloud(1, "lidar_top", "lidar_top", np.zeros((0, 3))))
    rng = np.random.default_rng(3)
    floor = np.column_stack([rng.uniform(-20, 20, (5000, 2)), np.full(5000, -1.8)])
    car = _l_shape(np.array([10.0, -3.0]), 4.5, 1.8, 0.2) + [0, 0, -1.8]
    result = detector.detect(LidarPointCloud(2, "lidar_top", "lidar_top", np.vstack([floor, car])))
    assert len(result.boxes) == 1 and result.boxes.classes[0] == ObjectClass.CAR
    assert result.boxes.frame_id == "lidar_top" and result.boxes.stamp_ns == 2
    assert set(result.timings_ms) == set(LidarDetector.STAGES)
    far_away = detector.detect(LidarPointCloud(3, "lidar_top", "lidar_top", np.full((10, 3), 100.0)))
    assert len(far_away.boxes) == 0 and far_away.ground_points == 0        # all cropped: no boxes, no error


def test_config_cross_checks_name_the_key():
    from fusion.config.loader import parse_config
    from fusion.core.errors import ConfigError

    with pytest.raises(ConfigError, match="z_min_m"):
        parse_config({"z_min_m": 5.0, "z_max_m": 1.0}, LidarDetectorConfig, "lidar.yaml")


def test_detector_finds_the_labelled_car_in_a_real_vod_sweep(vod_root):
    from datasets.vod import VodFrame

    frame = VodFrame(vod_root, "01047")
    centers, sizes, yaws = frame.labels.boxes_in(frame.T_camera_lidar.inverse())
    car = frame.labels.names.index("Car")
    boxes = LidarDetector().detect(LidarPointCloud(0, "lidar", "vod", frame.lidar[:, :3].astype(float))).boxes
    cars = boxes.classes == ObjectClass.CAR
    distance = np.linalg.norm(boxes.centers[cars, :2] - centers[car, :2], axis=1)
    best = int(np.argmin(distance))
    assert distance[best] < 0.5
    np.testing.assert_allclose(boxes.sizes[cars][best, :2], sizes[car, :2], atol=0.4)
    yaw_error = np.angle(np.exp(1j * (boxes.yaws[cars][best] - yaws[car])))
    assert min(abs(yaw_error), np.pi - abs(yaw_error)) < np.radians(5)
