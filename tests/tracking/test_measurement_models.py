"""Measurement models: h(x) against independent geometry, Jacobians against central differences,
detections in the tracking frame, dropped rows, visibility, new tracks."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import numerical_jacobian

from fusion.core.classes import ObjectClass
from fusion.core.measurements import Boxes3D, CameraDetections, RadarDetections
from fusion.core.transform import Transform
from fusion.tracking.config import CameraTracking, LidarTracking, MotionConfig, RadarTracking
from fusion.tracking.measurement import SensorPose
from fusion.tracking.motion import ConstantAcceleration, ConstantTurnRate, ConstantVelocity, Static
from sensors.camera.measurement_model import CameraCenterModel
from sensors.camera.pinhole import PinholeCamera
from sensors.lidar.measurement_model import LidarBoxModel
from sensors.radar.measurement_model import RadarPolarModel

STAMP = 1_000_000_000


def _pose(vehicle, sensor: str, ego=Transform.from_rpy([20.0, -5.0, 0.0], [0.0, 0.0, 0.4]), velocity=(8.0, 1.0, 0.0)):
    mount = vehicle.sensors[sensor].mount.transform()
    return SensorPose(ego @ mount, np.asarray(velocity, dtype=float))


def _states(motion, pose: SensorPose, n=12, seed=0):
    """Objects 10-40 m in front of the sensor, moving."""
    rng = np.random.default_rng(seed)
    local = np.column_stack([rng.uniform(10, 40, n), rng.uniform(-8, 8, n), rng.uniform(-1, 1, n)])
    if pose.transform.rotation_matrix[2, 2] < 0.5:   # optical frame: z forward
        local = local[:, [1, 2, 0]] * np.array([1.0, 1.0, 1.0])
    position = pose.transform.apply(local)
    velocity = np.column_stack([rng.normal(0, 5, n), rng.normal(0, 5, n), rng.normal(0, 0.2, n)])
    yaw = rng.uniform(-np.pi, np.pi, n)
    x, _ = motion.initial_state(position, np.tile(np.eye(3), (n, 1, 1)), yaw, np.ones(n), velocity, _initial())
    if motion.yaw_rate_index is not None:
        x[:, motion.yaw_rate_index] = rng.normal(0, 0.3, n)
    if isinstance(motion, ConstantTurnRate):
        x[:, 3] = np.linalg.norm(velocity[:, :2], axis=1)
    return x


def _initial():
    from fusion.tracking.config import InitialConfig
    return InitialConfig()


MOTIONS = [ConstantVelocity, ConstantAcceleration, ConstantTurnRate, Static]


def _models(vehicle):
    return {
        "lidar": (LidarBoxModel("lidar_top", vehicle.sensors["lidar_top"], LidarTracking()), "lidar_top"),
        "radar": (RadarPolarModel("radar_front_left", vehicle.sensors["radar_front_left"], RadarTracking()), "radar_front_left"),
        "camera": (CameraCenterModel("camera_front", vehicle.sensors["camera_front"], CameraTracking()), "camera_front"),
    }


@pytest.mark.parametrize("kind", ["lidar", "radar", "camera"])
@pytest.mark.parametrize("motion_cls", MOTIONS)
def test_jacobian_matches_finite_differences(vehicle, kind, motion_cls):
    model, sensor = _models(vehicle)[kind]
    motion = motion_cls(MotionConfig())
    pose = _pose(vehicle, sensor)
    x = _states(motion, pose)
    sizes = np.tile([4.0, 1.8, 1.5], (len(x), 1))
    H = model.jacobian(motion, x, pose, sizes)
    if kind == "radar":   # the surface offset is treated as constant by the Jacobian: compare without it
        sizes = np.zeros_like(sizes)
    numeric = numerical_jacobian(lambda s: model.predict(motion, s, pose, sizes), x, 1e-6)
    np.testing.assert_allclose(H, numeric, rtol=1e-5, atol=1e-6)


def test_radar_prediction_matches_geometry(vehicle):
    model, sensor = _models(vehicle)["radar"]
    motion = ConstantVelocity(MotionConfig())
    pose = _pose(vehicle, sensor)
    x = _states(motion, pose)
    sizes = np.tile([4.0, 2.0, 1.5], (len(x), 1))
    z = model.predict(motion, x, pose, sizes)
    local = pose.transform.inverse().apply(x[:, 0:3])
    los = x[:, 0:3] - pose.translation
    rate = np.sum(los * (x[:, 3:6] - pose.velocity), axis=1) / np.linalg.norm(los, axis=1)
    # the line of sight enters a 4 x 2 m box 1 to 2.24 m before its centre
    offset = np.linalg.norm(local, axis=1) - z[:, 0]
    assert np.all((offset >= 1.0 - 1e-9) & (offset <= np.hypot(2.0, 1.0) + 1e-9))
    head_on = x.copy()
    head_on[:, 6] = np.arctan2(los[:, 1], los[:, 0])
    np.testing.assert_allclose(np.linalg.norm(local, axis=1) - model.predict(motion, head_on, pose, sizes)[:, 0], 2.0)
    np.testing.assert_allclose(z[:, 1], np.arctan2(local[:, 1], local[:, 0]))
    np.testing.assert_allclose(z[:, 2], rate)


def test_camera_prediction_matches_pinhole_projection(vehicle):
    model, sensor = _models(vehicle)["camera"]
    motion = ConstantVelocity(MotionConfig())
    pose = _pose(vehicle, sensor)
    x = _states(motion, pose)
    config = vehicle.sensors[sensor]
    uv, front = PinholeCamera.from_config(config.intrinsics, config.frame_id).project(pose.transform.inverse().apply(x[:, 0:3]))
    assert front.all()
    np.testing.assert_allclose(model.predict(motion, x, pose, np.ones((len(x), 3))), uv)


def test_lidar_detections_move_into_the_tracking_frame(vehicle):
    model, sensor = _models(vehicle)["lidar"]
    pose = _pose(vehicle, sensor)
    centers = np.array([[10.0, 2.0, -1.0], [25.0, -3.0, -0.8]])
    batch = Boxes3D(STAMP, "lidar_top", sensor, centers=centers, sizes=[[4.5, 1.9, 1.6], [0.7, 0.7, 1.8]], yaws=[0.1, -3.0],
                    classes=[int(ObjectClass.CAR), int(ObjectClass.PEDESTRIAN)])
    det = model.detections(batch, pose)
    np.testing.assert_allclose(det.z[:, 0:3], pose.transform.apply(centers))
    np.testing.assert_allclose(det.z[:, 3], np.angle(np.exp(1j * (np.array([0.1, -3.0]) + 0.4))))
    assert det.R.shape == (2, 4, 4) and det.sizes.shape == (2, 3)
    assert det.geometry.shape == (2, 7)


def test_non_finite_and_low_score_rows_are_dropped_and_counted(vehicle):
    model, sensor = _models(vehicle)["lidar"]
    model = LidarBoxModel(sensor, vehicle.sensors[sensor], LidarTracking(min_score=0.3))
    batch = Boxes3D(STAMP, "lidar_top", sensor, centers=np.ones((3, 3)) * 10, sizes=np.ones((3, 3)), yaws=np.zeros(3),
                    scores=[0.9, 0.1, 0.9])
    batch.centers[2, 1] = np.nan          # corrupted after validation
    det = model.detections(batch, _pose(vehicle, sensor))
    assert len(det) == 1
    assert det.dropped == {"non_finite": 1, "below_min_score": 1}


def test_heading_ambiguous_lidar_wraps_yaw_residual_at_pi(vehicle):
    sensor = vehicle.sensors["lidar_top"]
    plain = LidarBoxModel("lidar_top", sensor, LidarTracking())
    ambiguous = LidarBoxModel("lidar_top", sensor, LidarTracking(heading_ambiguous=True))
    a, b = np.array([0, 0, 0, 0.1 + np.pi]), np.array([0, 0, 0, 0.0])
    assert plain.residual(a, b)[3] == pytest.approx(0.1 - np.pi)
    assert ambiguous.residual(a, b)[3] == pytest.approx(0.1)


def test_visibility(vehicle):
    motion = ConstantVelocity(MotionConfig())
    models = _models(vehicle)
    pose = _pose(vehicle, "lidar_top", ego=Transform.identity())
    x = np.zeros((4, 8))
    x[:, 0:3] = [[20.0, 0.0, 0.8], [1.3, 0.3, 1.8], [95.0, 0.0, 0.8], [150.0, 0.0, 0.8]]   # 2nd: inside min range
    car = np.tile([4.5, 1.9, 1.6], (4, 1))
    person = np.tile([0.6, 0.6, 1.7], (4, 1))
    lidar = models["lidar"][0]
    np.testing.assert_array_equal(lidar.visible(motion, x, car, pose), [True, False, False, False])  # 95 m: too few points
    assert lidar.visible(motion, x[:1], person[:1], pose)[0]
    radar = models["radar"][0]          # front-left corner radar, looking 45 deg left
    rpose = _pose(vehicle, "radar_front_left", ego=Transform.identity())
    ahead_left = np.zeros((2, 8))
    ahead_left[:, 0:3] = [[20.0, 20.0, 0.5], [-20.0, -20.0, 0.5]]
    np.testing.assert_array_equal(radar.visible(motion, ahead_left, car[:2], rpose), [True, False])
    camera = models["camera"][0]
    cpose = _pose(vehicle, "camera_front", ego=Transform.identity())
    np.testing.assert_array_equal(camera.visible(motion, x, car, cpose), [True, False, False, False])


def test_radar_new_tracks_merge_the_returns_of_one_object(vehicle):
    model, sensor = _models(vehicle)["radar"]
    pose = _pose(vehicle, sensor, ego=Transform.identity(), velocity=(0.0, 0.0, 0.0))
    local = np.array([[20.0, 0.0, 0.0], [20.5, 0.8, 0.0], [21.0, -0.6, 0.0], [40.0, 10.0, 0.0]])
    batch = RadarDetections(STAMP, "radar_front_left", sensor, range=np.linalg.norm(local, axis=1),
                            azimuth=np.arctan2(local[:, 1], local[:, 0]), range_rate=[-3.0, -3.0, -3.0, 2.0])
    det = model.detections(batch, pose)
    new = model.new_tracks(det, np.arange(4), pose)
    assert len(new.rows) == 2 and 3 in new.rows
    np.testing.assert_allclose(new.position[list(new.rows).index(3)], pose.transform.apply(local[3]), atol=1e-9)
    assert np.all(np.linalg.eigvalsh(new.position_cov) > 0)


def test_radar_rows_corrupted_after_validation_are_dropped_and_counted(vehicle):
    model, sensor = _models(vehicle)["radar"]
    pose = _pose(vehicle, sensor)
    batch = RadarDetections(STAMP, "radar_front_left", sensor, range=[20.0, 30.0, 40.0], azimuth=[0.1, 0.0, -0.1],
                            range_rate=[-1.0, 2.0, 0.5], rcs=[10.0, 0.0, 5.0])
    clean = model.detections(batch, pose)
    assert len(clean) == 3 and clean.dropped == {}
    batch.range_rate[1] = np.nan
    det = model.detections(batch, pose)
    assert len(det) == 2 and det.dropped == {"non_finite": 1}
    np.testing.assert_array_equal(det.z, clean.z[[0, 2]])
    np.testing.assert_array_equal(det.classes, clean.classes[[0, 2]])
    strict = RadarPolarModel(sensor, vehicle.sensors[sensor], RadarTracking(min_score=1.5))   # above every return's score
    assert len(strict.detections(batch, pose)) == 0


def test_truncated_camera_box_weighs_less(vehicle):
    model, sensor = _models(vehicle)["camera"]
    batch = CameraDetections(STAMP, "camera_front_optical", sensor, boxes=[[100, 300, 300, 400], [0, 300, 200, 400]])
    det = model.detections(batch, _pose(vehicle, sensor))
    assert det.R[1, 0, 0] > det.R[0, 0, 0] + 90**2
    assert det.R[1, 1, 1] == det.R[0, 1, 1]


def test_radar_returns_are_classified_by_cross_section(vehicle):
    model, _ = _models(vehicle)["radar"]
    C = ObjectClass
    np.testing.assert_array_equal(model.classify(np.array([11.0, 1.0, -6.0, 40.0])),
                                  [C.CAR, C.BICYCLE, C.PEDESTRIAN, C.UNKNOWN])
