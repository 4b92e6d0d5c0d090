"""Radar: RadarScan decoding, Doppler compensation, ego velocity from returns, moving objects."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from fusion.core.errors import InputError
from fusion.core.measurements import RadarDetections
from fusion.core.transform import Transform
from fusion.messages import radar_scan
from sensors.radar.cartesian import radar_detections_from_points
from sensors.radar.doppler import compensate, ego_motion_from_sensor_velocity, line_of_sight, sensor_velocity_from_ego
from sensors.radar.ego_velocity import estimate_sensor_velocity
from sensors.radar.frontend import RadarFrontEnd


def _scan(points: np.ndarray, range_rate: np.ndarray) -> RadarDetections:
    return radar_detections_from_points(points, range_rate, np.zeros(len(points)), 0, "radar_front", "radar_front")


def _static_world(rng, n: int, v_sensor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    azimuth = rng.uniform(-1.0, 1.0, n)
    rng_m = rng.uniform(3, 80, n)
    elevation = rng.uniform(-0.1, 0.1, n)
    points = np.column_stack([rng_m * np.cos(elevation) * np.cos(azimuth), rng_m * np.cos(elevation) * np.sin(azimuth),
                              rng_m * np.sin(elevation)])
    u = points / np.linalg.norm(points, axis=1, keepdims=True)
    return points, -u @ v_sensor


def test_ego_velocity_from_static_returns_ignores_moving_outliers():
    rng = np.random.default_rng(7)
    v_sensor = np.array([8.0, -0.6, 0.0])
    points, rate = _static_world(rng, 80, v_sensor)
    rate = rate + rng.normal(0, 0.05, len(rate))
    outliers = rng.choice(80, 25, replace=False)             # 30 % movers with arbitrary Doppler
    rate[outliers] += rng.choice([-1, 1], 25) * rng.uniform(1.5, 10, 25)
    estimate = estimate_sensor_velocity(_scan(points, rate))
    assert estimate.valid
    np.testing.assert_allclose(estimate.velocity, v_sensor, atol=0.05)
    assert not estimate.static[outliers].any()
    assert estimate.static.sum() >= 50
    assert np.all(np.sqrt(np.diag(estimate.covariance)[:2]) < 0.05)


def test_ego_velocity_is_not_valid_from_too_few_or_collinear_returns():
    rng = np.random.default_rng(1)
    points, rate = _static_world(rng, 3, np.array([5.0, 0, 0]))
    assert "need at least 4" in estimate_sensor_velocity(_scan(points, rate)).reason
    line = np.column_stack([np.linspace(5, 50, 20), np.zeros(20), np.zeros(20)])
    result = estimate_sensor_velocity(_scan(line, np.full(20, -5.0)))
    assert not result.valid and result.reason


def test_compensation_zeroes_the_static_world_and_keeps_a_mover():
    rng = np.random.default_rng(2)
    v_sensor = np.array([10.0, 0.5, 0.0])
    points, rate = _static_world(rng, 30, v_sensor)
    mover = np.array([[20.0, 0.0, 0.0]])
    scan = _scan(np.vstack([points, mover]), np.append(rate, -10.0 + 3.0))   # target moves away at 3 m/s
    compensated = compensate(scan, v_sensor)
    np.testing.assert_allclose(compensated[:-1], 0.0, atol=1e-9)
    assert compensated[-1] == pytest.approx(3.0)


def test_sensor_velocity_from_ego_twist_and_back():
    """A radar 3.7 m ahead of the rear axle and 0.8 m left, yawed 45 deg, on a car turning left."""
    mount = Transform.from_rpy([3.7, 0.8, 0.5], [0.0, 0.0, np.pi / 4])
    v_sensor = sensor_velocity_from_ego(mount, np.array([10.0, 0.0, 0.0]), np.array([0.0, 0.0, 0.2]))
    expected_base = np.array([10.0 - 0.2 * 0.8, 0.2 * 3.7, 0.0])               # v + w x r
    np.testing.assert_allclose(mount.rotate(v_sensor), expected_base, atol=1e-12)
    speed, yaw_rate = ego_motion_from_sensor_velocity(v_sensor, mount)
    assert speed == pytest.approx(10.0) and yaw_rate == pytest.approx(0.2)
    with pytest.raises(InputError, match="rear axle"):
        ego_motion_from_sensor_velocity(v_sensor, Transform.from_rpy([0.0, 0.5, 0.5], [0, 0, 0]))


def test_front_end_clusters_movers_with_their_velocity():
    rng = np.random.default_rng(4)
    v_sensor = np.array([6.0, 0.0, 0.0])
    points, rate = _static_world(rng, 60, v_sensor)
    # A wide crossing car (returns along its side, 4 m long at 6 m range: lines of sight spread
    # 0.5 rad) moving at (0, 5) m/s, and a far pedestrian walking away at 1.5 m/s.
    car = np.column_stack([np.full(6, 6.0), np.linspace(1, 5, 6), np.zeros(6)])
    walker = np.array([[40.0, 10.0, 0.0], [40.2, 10.1, 0.0], [40.1, 10.3, 0.0]])
    movers = np.vstack([car, walker])
    u = movers / np.linalg.norm(movers, axis=1, keepdims=True)
    velocity = np.vstack([np.tile([0.0, 5.0, 0.0], (6, 1)), np.tile(1.5 * u[6], (3, 1))])
    mover_rate = np.einsum("ij,ij->i", u, velocity - v_sensor)
    result = RadarFrontEnd().process(_scan(np.vstack([points, movers]), np.append(rate, mover_rate)))
    np.testing.assert_allclose(result.sensor_velocity.velocity, v_sensor, atol=1e-6)
    assert not result.moving[:60].any() and result.moving[60:].all()
    objects = result.objects
    assert len(objects) == 2
    car_index = int(np.argmin(objects.boxes.centers[:, 0]))
    assert objects.full_velocity[car_index] and not objects.full_velocity[1 - car_index]
    np.testing.assert_allclose(objects.boxes.velocities[car_index], [0, 5, 0], atol=1e-6)
    np.testing.assert_allclose(objects.boxes.velocities[1 - car_index], 1.5 * u[6], atol=0.05)   # radial only
    assert set(objects.labels[60:66]) == {car_index} and np.all(objects.labels[:60] == -1)


def test_front_end_on_an_empty_scan_reports_why_nothing_moves():
    result = RadarFrontEnd().process(_scan(np.zeros((0, 3)), np.zeros(0)))
    assert not result.sensor_velocity.valid and "0 returns" in result.sensor_velocity.reason
    assert len(result.objects) == 0 and len(result.moving) == 0


def test_cluster_objects_of_a_scan_without_clustered_movers_is_empty():
    """Regression: a scan whose moving returns form no cluster raised UFuncTypeError (numpy's
    bincount of no values is int64 even with float weights, and was divided in place)."""
    from sensors.radar.objects import cluster_objects

    rng = np.random.default_rng(3)
    points, rate = _static_world(rng, 20, np.array([7.0, 0.0, 0.0]))
    scan = _scan(points, rate)
    for moving in (np.zeros(20, dtype=bool), np.eye(20, dtype=bool)[5]):   # nothing moves; a lone mover is noise
        objects = cluster_objects(scan, np.where(moving, 4.0, 0.0), moving)
        assert len(objects) == 0 and np.all(objects.labels == -1)
        assert objects.boxes.velocities.shape == (0, 3) and objects.full_velocity.shape == (0,)
    result = RadarFrontEnd().process(scan)   # through the front-end: a valid ego velocity, no movers
    assert result.sensor_velocity.valid and not result.moving.any() and len(result.objects) == 0


def _return(r, az, el, v, a):
    return SimpleNamespace(range=r, azimuth=az, elevation=el, doppler_velocity=v, amplitude=a)


def test_radar_scan_message_decoding_drops_and_counts_bad_returns():
    header = SimpleNamespace(stamp=SimpleNamespace(sec=3, nanosec=7), frame_id="radar_front")
    msg = SimpleNamespace(header=header, returns=[_return(10.0, 0.1, 0.0, -2.0, 12.0), _return(float("nan"), 0, 0, 0, 0),
                                                  _return(5.0, -0.2, 0.05, 1.0, 3.0), _return(-1.0, 0, 0, 0, 0)])
    detections, dropped = radar_scan.to_radar_detections(msg, "radar_front", topic="/radar/scan")
    assert dropped == 2 and detections.stamp_ns == 3_000_000_007
    np.testing.assert_allclose(detections.range, [10.0, 5.0])
    np.testing.assert_allclose(detections.range_rate, [-2.0, 1.0])
    np.testing.assert_allclose(detections.rcs, [12.0, 3.0])
    np.testing.assert_allclose(line_of_sight(detections)[1], [np.cos(0.05) * np.cos(-0.2), np.cos(0.05) * np.sin(-0.2), np.sin(0.05)])
    empty, _ = radar_scan.to_radar_detections(SimpleNamespace(header=header, returns=[]), "radar_front")
    assert len(empty) == 0
    with pytest.raises(InputError, match=r"RadarScan on '/radar/scan' \(frame 'radar_front'\): message has no 'returns'"):
        radar_scan.to_radar_detections(SimpleNamespace(header=header, points=[]), "radar_front", topic="/radar/scan")


def test_radar_track_starts_take_one_return_per_cluster_as_scipy_labels_them():
    """The radar model's track starts: one return per cluster of returns linked within
    cluster_radius_m (the one nearest the cluster's mean), clusters in the order of their first
    return; checked against scipy's connected components, on blobs and on long chains."""
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial.distance import cdist

    from fusion.config.loader import config_dir, load_config
    from fusion.config.vehicle import VehicleConfig
    from fusion.tracking.config import RadarTracking
    from sensors.radar.measurement_model import RadarPolarModel

    vehicle = load_config(config_dir() / "vehicle.yaml", VehicleConfig)
    model = RadarPolarModel("radar_front", vehicle.sensors["radar_front"], RadarTracking(cluster_radius_m=1.0))
    rng = np.random.default_rng(5)
    blobs = np.vstack([rng.normal(c, 0.3, (k, 2)) for c, k in (((10, 0), 4), ((30, 5), 1), ((12, -1), 3), ((50, -9), 6))])
    chain = np.column_stack([rng.permutation(150) * 0.9, np.full(150, 3.0)])        # one cluster, linked end to end
    for points in (blobs, rng.permutation(blobs), np.vstack([chain, blobs + 200.0]), np.zeros((1, 2))):
        rows = np.arange(len(points)) * 7
        count, label = connected_components(cdist(points, points) <= 1.0, directed=False)
        expected = []
        for c in range(count):
            members = np.flatnonzero(label == c)
            gap = np.linalg.norm(points[members] - points[members].mean(axis=0), axis=1)
            expected.append(rows[members[np.argmin(gap)]])
        np.testing.assert_array_equal(model._cluster_representatives(points, rows), expected)
