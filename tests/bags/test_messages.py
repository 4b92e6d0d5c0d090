"""Core data -> message -> bytes -> message -> core data gives back what went in (rosbags side;
test_rclpy_decode checks that rclpy reads the same bytes the same way)."""
from __future__ import annotations

import numpy as np
import pytest

from datasets.bags.typestore import default_typestore, message_types
from fusion.core.errors import InputError
from fusion.core.measurements import Boxes3D, GnssFix, ImuSample
from fusion.core.objects import ObjectList
from fusion.core.transform import Transform
from fusion.ego.state import Odometry
from fusion.ego.wheel_speed import WheelSpeed
from fusion.graph.diagnostics import Level, NodeDiagnostics
from fusion.messages import detection3d, diagnostics, ground_truth, imu, markers, navsat, odometry, tf, tracked_objects, wheel_speed

TYPES = message_types()


def wire(msg):
    """Through CDR bytes and back, as a bag or DDS would carry it."""
    store = default_typestore()
    return store.deserialize_cdr(store.serialize_cdr(msg, msg.__msgtype__), msg.__msgtype__)


def object_list(n: int = 4, seed: int = 0) -> ObjectList:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, 4, 4))
    probabilities = rng.dirichlet(np.ones(8), size=n)
    return ObjectList(1_700_000_000_123_456_789, "map", track_ids=np.array([3, 17, 2**40, 99])[:n],
                      classes=probabilities.argmax(axis=1), class_probabilities=probabilities,
                      position=rng.normal(size=(n, 3)) * 20, velocity=rng.normal(size=(n, 3)) * 5,
                      acceleration=rng.normal(size=(n, 3)), yaw=rng.uniform(-np.pi, np.pi, n), yaw_rate=rng.normal(size=n),
                      pose_covariance=a @ a.transpose(0, 2, 1), twist_covariance=2 * a @ a.transpose(0, 2, 1),
                      size=rng.uniform(0.5, 5, (n, 3)), existence_probability=rng.uniform(0, 1, n), age_s=np.ones(n),
                      status=np.ones(n, dtype=np.int64), sensor_mask=np.ones(n, dtype=np.int64))


def test_tracked_objects_round_trip_keeps_ids_kinematics_and_covariances():
    ol = object_list()
    back = tracked_objects.to_object_list(wire(tracked_objects.from_object_list(TYPES, ol)))
    assert back.stamp_ns == ol.stamp_ns and back.frame_id == "map"
    np.testing.assert_array_equal(back.track_ids, ol.track_ids)
    np.testing.assert_array_equal(back.classes, ol.classes)
    for name in ("position", "velocity", "acceleration", "yaw", "yaw_rate", "pose_covariance", "twist_covariance", "size"):
        np.testing.assert_allclose(getattr(back, name), getattr(ol, name), atol=1e-5, err_msg=name)
    np.testing.assert_allclose(back.class_probabilities, ol.class_probabilities, atol=1e-6)


def test_twist_is_in_the_object_frame():
    ol = object_list(1)
    ol.yaw[:] = np.pi / 2
    ol.velocity[:] = [0.0, 3.0, 0.0]          # moving along its heading (map +y)
    (obj,) = tracked_objects.from_object_list(TYPES, ol).objects
    assert obj.kinematics.twist_with_covariance.twist.linear.x == pytest.approx(3.0)
    assert obj.kinematics.twist_with_covariance.twist.linear.y == pytest.approx(0.0, abs=1e-12)


def test_detection3d_round_trip_of_boxes():
    boxes = Boxes3D(5, "lidar_top", "lidar_top", centers=[[10.0, 2.0, 0.8], [5.0, -1.0, 0.9]], sizes=[[4.5, 1.9, 1.5], [0.6, 0.6, 1.8]],
                    yaws=[0.3, -2.5], classes=[1, 7], scores=[0.9, 0.6])
    back, skipped = detection3d.to_boxes3d(wire(detection3d.from_boxes3d(TYPES, boxes)), "lidar_top")
    assert not skipped
    np.testing.assert_allclose(back.centers, boxes.centers)
    np.testing.assert_allclose(back.yaws, boxes.yaws)
    np.testing.assert_array_equal(back.classes, boxes.classes)


def test_object_list_as_detection3d_array_and_markers():
    ol = object_list()
    det = wire(tracked_objects.to_detection3d_array(TYPES, ol))
    assert [d.id for d in det.detections] == [str(t) for t in ol.track_ids]
    arr = wire(markers.from_object_list(TYPES, ol))
    assert arr.markers[0].action == markers.DELETEALL
    assert len(arr.markers) == 1 + 3 * len(ol)
    assert {m.ns for m in arr.markers[1:]} == {"objects/box", "objects/label", "objects/velocity"}


def test_imu_navsat_odometry_tf_round_trips():
    sample = ImuSample(7, "imu_link", "imu", angular_velocity=[0.1, 0.2, 0.3], linear_acceleration=[0.0, 0.1, 9.8])
    back = imu.to_imu_sample(wire(imu.from_imu_sample(TYPES, sample)), "imu")
    np.testing.assert_allclose(back.linear_acceleration, sample.linear_acceleration)

    fix = GnssFix(9, "gnss_link", "gnss", latitude_deg=52.0, longitude_deg=4.37, altitude_m=45.0,
                  position_covariance=np.diag([1.0, 1.0, 4.0]), covariance_type=2)
    back_fix = navsat.to_gnss_fix(wire(navsat.from_gnss_fix(TYPES, fix)), "gnss")
    assert (back_fix.latitude_deg, back_fix.covariance_type) == (52.0, 2)

    odom = Odometry(11, "map", "base_link", np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 0.38268343, 0.92387953]),
                    np.eye(6), np.array([5.0, 0.0, 0.0]), np.array([0.0, 0.0, 0.1]), np.eye(6) * 2)
    back_odom = odometry.to_odometry(wire(odometry.from_odometry(TYPES, odom)))
    np.testing.assert_allclose(back_odom.orientation, odom.orientation, atol=1e-8)
    np.testing.assert_allclose(back_odom.twist_covariance, odom.twist_covariance)

    t = tf.StampedTransform("base_link", "lidar_top", 13, Transform.from_rpy([1.3, 0.0, 1.9], [0.0, 0.1, 0.2]))
    (back_t,) = tf.to_transforms(wire(tf.from_transforms(TYPES, [t])))
    assert (back_t.parent, back_t.child, back_t.stamp_ns) == ("base_link", "lidar_top", 13)
    np.testing.assert_allclose(back_t.transform.as_matrix(), t.transform.as_matrix(), atol=1e-12)


def test_malformed_messages_are_input_errors_naming_the_problem():
    bad = tf.from_transforms(TYPES, [tf.StampedTransform("map", "base_link", 1, Transform.identity())])
    bad.transforms[0].transform.rotation.w = 0.0
    with pytest.raises(InputError, match="zero"):
        tf.to_transforms(bad)
    ol = object_list(1)
    msg = tracked_objects.from_object_list(TYPES, ol)
    msg.objects[0].kinematics.pose_with_covariance.pose.position.x = float("nan")
    with pytest.raises(InputError, match="non-finite"):
        tracked_objects.to_object_list(msg)
    odom = odometry.from_odometry(TYPES, Odometry(1, "map", "base_link", np.zeros(3), np.array([0, 0, 0, 1.0]), np.eye(6),
                                                  np.zeros(3), np.zeros(3), np.eye(6)))
    odom.child_frame_id = ""
    with pytest.raises(InputError, match="child_frame_id"):
        odometry.to_odometry(odom)


def test_wheel_speed_round_trip_as_a_twist_in_base_link():
    m = WheelSpeed(1_700_000_000_020_000_000, "base_link", "wheel_speed", speed_mps=-3.25, std_mps=0.05)
    msg = wire(wheel_speed.from_wheel_speed(TYPES, m))
    assert msg.__msgtype__ == "geometry_msgs/msg/TwistWithCovarianceStamped"
    assert msg.twist.twist.linear.x == -3.25 and msg.twist.covariance[0] == pytest.approx(0.0025)
    back = wheel_speed.to_wheel_speed(msg, "wheel_speed", "base_link", "/sensors/wheel_speed/twist")
    assert (back.stamp_ns, back.frame_id, back.sensor_id, back.speed_mps) == (m.stamp_ns, "base_link", "wheel_speed", -3.25)
    assert back.std_mps == pytest.approx(0.05)


@pytest.mark.parametrize("spoil, match", [
    (lambda msg: setattr(msg.header, "frame_id", "imu_link"), "frame 'imu_link'; it must be expressed in the base frame 'base_link'"),
    (lambda msg: setattr(msg.header, "frame_id", ""), "frame_id is empty"),
    (lambda msg: setattr(msg.twist.twist.linear, "x", float("nan")), r"linear.x \(the speed\) is nan"),
    (lambda msg: setattr(msg.twist.twist.linear, "x", float("inf")), r"linear.x \(the speed\) is inf"),
    (lambda msg: msg.twist.covariance.__setitem__(0, -0.01), r"covariance\[0\].*>= 0, got -0.01"),
    (lambda msg: msg.twist.covariance.__setitem__(0, float("nan")), r"covariance\[0\]"),
])
def test_malformed_wheel_speed_is_an_input_error_naming_topic_and_field(spoil, match):
    msg = wheel_speed.from_wheel_speed(TYPES, WheelSpeed(5, "base_link", "wheel_speed", speed_mps=4.0, std_mps=0.1))
    spoil(msg)
    with pytest.raises(InputError, match=match) as info:
        wheel_speed.to_wheel_speed(msg, "wheel_speed", "base_link", "/sensors/wheel_speed/twist")
    assert "TwistWithCovarianceStamped on '/sensors/wheel_speed/twist'" in info.value.source


def test_diagnostics_round_trip_and_reason_grouping():
    d = NodeDiagnostics("tracker")
    d.accepted("/a", 0, 100_000_000)
    d.rejected("/a", "stamp 1700000000001 is too old", 200_000_000)
    d.rejected("/a", "stamp 1700000000002 is too old", 300_000_000)
    status = d.status(1_000_000_000)
    assert status.level == Level.WARN and status.values["/a reason 1"] == "2x stamp # is too old"
    report = diagnostics.to_report(wire(diagnostics.from_report(TYPES, diagnostics.Report(5, [status]))))
    assert report.stamp_ns == 5 and report.statuses[0].values == status.values and report.statuses[0].level == Level.WARN


def test_ground_truth_round_trip(scenario):
    frame = scenario.truth[10]
    back = ground_truth.to_truth_frame(wire(ground_truth.from_truth_frame(TYPES, frame)))
    np.testing.assert_array_equal(back.track_ids, frame.track_ids)
    np.testing.assert_array_equal(back.visible, frame.visible)
    np.testing.assert_allclose(back.centers, frame.centers, atol=1e-9)
    np.testing.assert_allclose(back.velocities, frame.velocities, atol=1e-9)
