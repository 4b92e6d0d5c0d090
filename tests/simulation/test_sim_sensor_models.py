"""Sensor models: measured noise, detection rates and clutter match the configured figures; field of
view, range and occlusion are respected; radar range-rate has the right sign and size."""
from __future__ import annotations

import numpy as np
import pytest
from sim_helpers import make_world, standing_view

from fusion.core.classes import ObjectClass

CAR, PED, BIKE = ObjectClass.CAR, ObjectClass.PEDESTRIAN, ObjectClass.BICYCLE
SCANS = 400


def _within(measured: float, expected: float, relative: float = 0.1) -> bool:
    return abs(measured - expected) <= relative * expected


@pytest.fixture(scope="module")
def traffic_ahead():
    """Road users well inside every forward sensor's field of view, none hiding another."""
    return make_world((1, CAR, 25.0, -3.5, 8.0, 0.0), (2, CAR, 40.0, 4.0, -10.0, 0.0), (3, PED, 18.0, 6.0, 0.0, 1.2),
                      (4, BIKE, 30.0, -8.0, 5.0, 0.0), (5, CAR, 55.0, 0.5, 12.0, 0.0))


def _noise_free(model):
    """The same sensor with every noise figure set to zero (random draws keep their order)."""
    zero = {k: 0.0 for k in type(model.config).model_fields if k.endswith(("_std_m", "_std_deg", "_std_mps", "_std_dbsm", "noise_px"))}
    return type(model)(model.name, model.config.model_copy(update=zero), model.base_from_sensor)


def test_radar_noise_matches_config(models, traffic_ahead):
    radar = models["radar_front"]
    clean = _noise_free(radar)
    view = standing_view(radar, (10.0, 0.0, 0.0))
    residuals = []
    for k in range(SCANS):
        noisy, ids = radar.measure(view, traffic_ahead, np.random.default_rng(k))
        exact, ids_clean = clean.measure(view, traffic_ahead, np.random.default_rng(k))
        assert np.array_equal(ids, ids_clean)
        residuals.append(np.column_stack([noisy.range - exact.range, noisy.azimuth - exact.azimuth,
                                          noisy.elevation - exact.elevation, noisy.range_rate - exact.range_rate]))
    residuals = np.vstack(residuals)
    assert len(residuals) > 2000
    c = radar.config
    expected = [c.range_std_m, np.radians(c.azimuth_std_deg), np.radians(c.elevation_std_deg), c.range_rate_std_mps]
    for measured, want in zip(residuals.std(axis=0), expected):
        assert _within(measured, want)
    assert np.all(np.abs(residuals.mean(axis=0)) < 0.1 * np.array(expected))


def test_radar_detection_rate_and_clutter(models, traffic_ahead):
    radar = models["radar_front"]
    view = standing_view(radar)
    detectable = radar.detectable(view, traffic_ahead)
    assert detectable.all()
    rng = np.random.default_rng(3)
    detected, clutter = 0, 0
    for _ in range(SCANS):
        _, ids = radar.measure(view, traffic_ahead, rng)
        detected += len(np.unique(ids[ids >= 0]))
        clutter += int(np.sum(ids < 0))
    trials = SCANS * detectable.sum()
    p = radar.config.detection_probability
    assert abs(detected / trials - p) < 4 * np.sqrt(p * (1 - p) / trials)
    assert abs(clutter / SCANS - radar.config.clutter_per_scan) < 4 * np.sqrt(radar.config.clutter_per_scan / SCANS)


def test_radar_range_rate_of_approaching_and_receding_cars(models):
    radar = models["radar_front"]
    world = make_world((1, CAR, 45.0, 0.0, -8.0, 0.0), (2, CAR, 30.0, 3.5, 15.0, 0.0))
    view = standing_view(radar, (10.0, 0.0, 0.0))
    rng = np.random.default_rng(0)
    rates = {1: [], 2: []}
    for _ in range(100):
        scan, ids = radar.measure(view, world, rng)
        for track in rates:
            rates[track].extend(scan.range_rate[ids == track])
        static = ids < 0
        # clutter is static: it closes at the ego speed times the cosine of its bearing
        expected = -10.0 * np.cos(scan.azimuth[static]) * np.cos(scan.elevation[static])
        assert np.all(np.abs(scan.range_rate[static] - expected) < 5 * radar.config.range_rate_std_mps + 0.2)
    assert np.mean(rates[1]) == pytest.approx(-18.0, abs=0.3)   # closing at 10 + 8 m/s
    assert np.mean(rates[2]) == pytest.approx(5.0, abs=0.3)     # pulling away at 15 - 10 m/s


def test_radar_field_of_view_and_range_limits(models):
    radar = models["radar_front"]
    c = radar.config
    beside = np.radians(c.fov_azimuth_deg / 2 + 10.0)
    world = make_world((1, CAR, 30.0 * np.cos(beside) + 3.7, 30.0 * np.sin(beside), 0.0, 0.0),
                       (2, CAR, c.max_range_m + 15.0, 0.0, 0.0, 0.0), (3, CAR, 30.0, 0.0, 0.0, 0.0))
    view = standing_view(radar)
    assert radar.detectable(view, world).tolist() == [False, False, True]
    rng = np.random.default_rng(1)
    for _ in range(200):
        scan, ids = radar.measure(view, world, rng)
        assert set(ids[ids >= 0].tolist()) <= {3}
        assert np.all(scan.range <= c.max_range_m + 5 * c.range_std_m)
        assert np.all(np.abs(scan.azimuth) <= np.radians(c.fov_azimuth_deg) / 2 + 5 * np.radians(c.azimuth_std_deg))


def test_camera_box_noise_detection_rate_and_false_positives(models, traffic_ahead):
    camera = models["camera_front"]
    c = camera.config
    view = standing_view(camera)
    true_boxes, detectable, _ = camera.true_boxes(view, traffic_ahead)
    assert detectable.sum() >= 4
    inside = detectable & np.all(true_boxes[:, :2] > 10, axis=1) & (true_boxes[:, 2] < camera.camera.width - 11) \
        & (true_boxes[:, 3] < camera.camera.height - 11)
    rng = np.random.default_rng(5)
    frames = 1000
    residuals, detected, false_positives = [], 0, 0
    for _ in range(frames):
        detections, ids = camera.measure(view, traffic_ahead, rng)
        false_positives += int(np.sum(ids < 0))
        detected += int(np.sum(ids >= 0))
        for row in np.flatnonzero(ids >= 0):
            k = int(np.flatnonzero(traffic_ahead.ids == ids[row])[0])
            if inside[k]:
                residuals.append(detections.boxes[row] - true_boxes[k])
    residuals = np.array(residuals)
    assert _within(residuals.std(), c.box_noise_px)
    assert np.all(np.abs(residuals.mean(axis=0)) < 0.3)
    trials = frames * detectable.sum()
    p = c.detection_probability
    assert abs(detected / trials - p) < 4 * np.sqrt(p * (1 - p) / trials)
    assert abs(false_positives / frames - c.false_positives_per_frame) < 4 * np.sqrt(c.false_positives_per_frame / frames)


def test_camera_sees_nothing_behind_it_or_beyond_range(models):
    camera = models["camera_front"]
    world = make_world((1, CAR, -15.0, 0.0, 0.0, 0.0), (2, CAR, camera.config.max_range_m + 20.0, 0.0, 0.0, 0.0),
                       (3, CAR, 20.0, 0.0, 0.0, 0.0))
    assert camera.detectable(standing_view(camera), world).tolist() == [False, False, True]


def test_lidar_box_noise_and_detection_rate(models, traffic_ahead):
    lidar = models["lidar_top"]
    c = lidar.config
    view = standing_view(lidar)
    detectable = lidar.detectable(view, traffic_ahead)
    assert detectable.all()
    truth_in_lidar = view.to_sensor(traffic_ahead.centers)
    rng = np.random.default_rng(9)
    residuals, yaw_residuals, detected = [], [], 0
    for _ in range(SCANS):
        boxes, ids = lidar.measure(view, traffic_ahead, rng)
        for row in np.flatnonzero(ids >= 0):
            k = int(np.flatnonzero(traffic_ahead.ids == ids[row])[0])
            residuals.append(boxes.centers[row] - truth_in_lidar[k])
            yaw_residuals.append(np.angle(np.exp(1j * (boxes.yaws[row] - traffic_ahead.yaws[k]))))
            detected += 1
    assert _within(np.std(residuals), c.box_center_std_m)
    assert _within(np.std(yaw_residuals), np.radians(c.box_yaw_std_deg))
    trials = SCANS * detectable.sum()
    p = c.box_detection_probability
    assert abs(detected / trials - p) < 4 * np.sqrt(p * (1 - p) / trials)


def test_lidar_misses_objects_with_too_few_points(models):
    lidar = models["lidar_top"]
    far = lidar.config.max_range_m - 5.0
    world = make_world((1, PED, far, 0.0, 0.0, 0.0), (2, PED, 12.0, 3.0, 0.0, 0.0))
    points = lidar.expected_points(standing_view(lidar), world)
    assert points[0] < lidar.config.box_min_points <= points[1]


def test_occluded_pedestrian_is_not_detected(models):
    """A pedestrian right behind a car is hidden from the camera and the bumper radar; the roof lidar
    sees only its head, too few points for a box."""
    hidden = make_world((1, CAR, 20.0, 0.0, 0.0, 0.0), (2, PED, 30.0, 0.0, 0.0, 0.0))
    in_the_open = make_world((1, CAR, 20.0, 0.0, 0.0, 0.0), (2, PED, 30.0, 6.0, 0.0, 0.0))
    for name in ("camera_front", "radar_front", "lidar_top"):
        model = models[name]
        view = standing_view(model)
        assert model.detectable(view, hidden).tolist() == [True, False], name
        assert model.detectable(view, in_the_open).tolist() == [True, True], name
        rng = np.random.default_rng(2)
        for _ in range(100):
            _, ids = model.measure(view, hidden, rng)
            assert 2 not in ids.tolist(), name
