"""Decoders on malformed or partly unusable messages: what they drop and count, what they reject and
how the error names it; and the latency summary of the node diagnostics past its window."""
from __future__ import annotations

import numpy as np
import pytest

from datasets.bags.typestore import message_types
from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.core.measurements import ImuSample
from fusion.graph.diagnostics import LATENCY_WINDOW, NodeDiagnostics
from fusion.messages import detection2d, imu, radar_scan
from fusion.messages.header import make_header

TYPES = message_types()


def detection_array(*detections: tuple[float, float, float, float, float, str]):
    """A Detection2DArray of (centre x, centre y, theta, size x, size y, class_id) rows."""
    hypothesis, with_pose = TYPES("vision_msgs/msg/ObjectHypothesis"), TYPES("vision_msgs/msg/ObjectHypothesisWithPose")
    point, pose, box = TYPES("vision_msgs/msg/Point2D"), TYPES("vision_msgs/msg/Pose2D"), TYPES("vision_msgs/msg/BoundingBox2D")
    header = make_header(TYPES, 9, "camera_front_optical")
    return TYPES("vision_msgs/msg/Detection2DArray")(header=header, detections=[
        TYPES("vision_msgs/msg/Detection2D")(
            header=header, results=[with_pose(hypothesis=hypothesis(class_id=c, score=0.8))],
            bbox=box(center=pose(position=point(x=x, y=y), theta=theta), size_x=sx, size_y=sy))
        for x, y, theta, sx, sy, c in detections])


def test_detection2d_boxes_enclose_rotated_bboxes_and_skip_other_classes():
    msg = detection_array((100.0, 50.0, 0.0, 20.0, 10.0, "car"), (10.0, 10.0, 0.0, 4.0, 4.0, "traffic light"),
                          (200.0, 80.0, np.pi / 2, 30.0, 10.0, "person"))
    dets, skipped = detection2d.to_camera_detections(msg, "camera_front", "/cam")
    assert skipped == {"traffic light": 1}
    np.testing.assert_array_equal(dets.classes, [int(ObjectClass.CAR), int(ObjectClass.PEDESTRIAN)])
    np.testing.assert_allclose(dets.boxes, [[90.0, 45.0, 110.0, 55.0], [195.0, 65.0, 205.0, 95.0]])
    np.testing.assert_allclose(dets.scores, [0.8, 0.8])
    empty, skipped = detection2d.to_camera_detections(detection_array(), "camera_front", "/cam")
    assert len(empty) == 0 and not skipped



def test_detection2d_box_encloses_a_bbox_at_any_angle():
    theta, (cx, cy, sx, sy) = 2.5, (300.0, 200.0, 40.0, 16.0)
    dets, _ = detection2d.to_camera_detections(detection_array((cx, cy, theta, sx, sy, "bus")), "camera_front", "/cam")
    corners = np.array([[u, v] for u in (-sx / 2, sx / 2) for v in (-sy / 2, sy / 2)])
    rotated = corners @ np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]]) + [cx, cy]
    np.testing.assert_allclose(dets.boxes, [[*rotated.min(axis=0), *rotated.max(axis=0)]], rtol=1e-12)
    np.testing.assert_array_equal(dets.classes, [int(ObjectClass.BUS)])

@pytest.mark.parametrize("bad, match", [
    ((float("nan"), 5.0, 0.0, 2.0, 2.0, "car"), r"detection 1 has a non-finite or negative bbox \(centre nan, 5.0"),
    ((5.0, 5.0, 0.0, -2.0, 2.0, "traffic light"), r"detection 1 has a non-finite or negative bbox .*size -2.0 x 2.0"),
    ((5.0, 5.0, 0.0, 2.0, float("inf"), "car"), r"detection 1 has a non-finite or negative bbox .*size 2.0 x inf"),
    ((5.0, 5.0, float("nan"), 2.0, 2.0, "car"), r"detection 1 has a non-finite or negative bbox .*theta nan\)"),
    ((5.0, float("-inf"), 0.0, 2.0, 2.0, "car"), r"detection 1 has a non-finite or negative bbox \(centre 5.0, -inf"),
])
def test_detection2d_bad_bbox_is_rejected_naming_the_detection(bad, match):
    msg = detection_array((100.0, 50.0, 0.0, 20.0, 10.0, "car"), bad)
    with pytest.raises(InputError, match=match) as info:
        detection2d.to_camera_detections(msg, "camera_front", "/cam")
    assert info.value.source == "Detection2DArray on '/cam' (frame 'camera_front_optical')"


def scan(*returns: tuple[float, float, float, float, float]):
    ret = TYPES("radar_msgs/msg/RadarReturn")
    return TYPES("radar_msgs/msg/RadarScan")(header=make_header(TYPES, 4, "radar_front"), returns=[
        ret(range=r, azimuth=a, elevation=e, doppler_velocity=v, amplitude=p) for r, a, e, v, p in returns])


def test_radar_scan_drops_and_counts_non_finite_and_negative_range_returns():
    msg = scan((10.0, 0.1, 0.0, -1.0, 5.0), (float("nan"), 0.0, 0.0, 0.0, 0.0), (-1.0, 0.0, 0.0, 0.0, 0.0),
               (20.0, -0.2, 0.01, 2.0, float("inf")), (30.0, 0.3, 0.0, 0.5, 1.0))
    dets, dropped = radar_scan.to_radar_detections(msg, "radar_front", "/radar")
    assert dropped == 3
    np.testing.assert_array_equal(dets.range, [10.0, 30.0])
    np.testing.assert_array_equal(dets.rcs, [5.0, 1.0])
    empty, dropped = radar_scan.to_radar_detections(scan(), "radar_front", "/radar")
    assert len(empty) == 0 and dropped == 0


def test_radar_scan_with_a_foreign_return_is_rejected():
    msg = scan((10.0, 0.1, 0.0, -1.0, 5.0))
    msg.returns.append(TYPES("geometry_msgs/msg/Vector3")(x=1.0, y=2.0, z=3.0))
    with pytest.raises(InputError, match="a return lacks a RadarReturn field") as info:
        radar_scan.to_radar_detections(msg, "radar_front", "/radar")
    assert info.value.source == "RadarScan on '/radar' (frame 'radar_front')"


def test_imu_without_a_rate_is_rejected_naming_topic_and_frame():
    msg = imu.from_imu_sample(TYPES, ImuSample(3, "imu_link", "imu", angular_velocity=[0.0, 0.0, 0.1],
                                               linear_acceleration=[0.0, 0.0, 9.8]), 1e-6, 1e-4)
    msg.angular_velocity_covariance[0] = -1.0
    with pytest.raises(InputError, match=r"angular_velocity_covariance\[0\] is -1") as info:
        imu.to_imu_sample(msg, "imu", "/imu")
    assert info.value.source == "Imu on '/imu' (frame 'imu_link')"


def test_imu_sample_round_trips_and_a_missing_specific_force_is_rejected():
    sample = ImuSample(3, "imu_link", "imu", angular_velocity=[0.01, -0.02, 0.1], linear_acceleration=[0.3, -0.1, 9.8])
    msg = imu.from_imu_sample(TYPES, sample, 1e-6, 1e-4)
    decoded = imu.to_imu_sample(msg, "imu", "/imu")
    assert (decoded.stamp_ns, decoded.frame_id, decoded.sensor_id) == (3, "imu_link", "imu")
    np.testing.assert_array_equal(decoded.angular_velocity, sample.angular_velocity)
    np.testing.assert_array_equal(decoded.linear_acceleration, sample.linear_acceleration)
    assert decoded.angular_velocity.dtype == decoded.linear_acceleration.dtype == np.float64
    msg.linear_acceleration_covariance = [-1.0] + [0.0] * 8   # any sequence, not only an array
    with pytest.raises(InputError, match=r"linear_acceleration_covariance\[0\] is -1: the linear_acceleration is not provided"):
        imu.to_imu_sample(msg, "imu", "/imu")
    msg.linear_acceleration_covariance = [0.0] * 9
    msg.linear_acceleration.z = float("nan")
    with pytest.raises(InputError, match=r"field 'linear_acceleration' has a non-finite value at index \[2\]"):
        imu.to_imu_sample(msg, "imu", "/imu")


def test_latency_summary_covers_the_last_window_of_accepted_messages():
    d = NodeDiagnostics("node")
    latencies_ns = np.arange(LATENCY_WINDOW + 500) * 37_000 + 1_000_000
    for i, latency in enumerate(latencies_ns.tolist()):
        d.accepted("/a", i * 10_000_000 - latency, i * 10_000_000)
    recent_ms = latencies_ns[-LATENCY_WINDOW:] / 1e6
    values = d.status(len(latencies_ns) * 10_000_000).values
    assert values["/a accepted"] == str(len(latencies_ns))
    assert values["/a latency_ms p50"] == f"{np.percentile(recent_ms, 50):.1f}"
    assert values["/a latency_ms max"] == f"{recent_ms.max():.1f}"
    d.rejected("/b", "malformed", 0)
    assert "/b latency_ms p50" not in d.status(0).values
