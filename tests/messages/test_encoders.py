"""The message encoders beside their decoders: what one writes the other reads back, through CDR bytes
(rosbags, as a bag or the live graph's wire codec carries them). rclpy's classes: tests/ros/test_wire.py."""
from __future__ import annotations

import numpy as np
import pytest

from datasets.bags.typestore import default_typestore, message_types
from fusion.core.classes import ObjectClass
from fusion.core.measurements import Boxes3D, CameraDetections, RadarDetections
from fusion.core.objects import ObjectList
from fusion.graph.diagnostics import Level, Report, Status
from fusion.messages import camera_info, detection2d, detection3d, diagnostics, radar_scan, tracked_objects
from sensors.camera.pinhole import PinholeCamera

TYPES = message_types()


def wire(msg):
    store = default_typestore()
    return store.deserialize_cdr(store.serialize_cdr(msg, msg.__msgtype__), msg.__msgtype__)


def test_camera_detections_round_trip_with_class_names():
    dets = CameraDetections(7, "camera_front_optical", "camera_front", boxes=np.array([[10.0, 20.0, 110.0, 80.0], [300.5, 40.0, 330.0, 120.0]]),
                            classes=np.array([int(ObjectClass.CAR), int(ObjectClass.PEDESTRIAN)]), scores=np.array([0.9, 0.55]))
    msg = detection2d.from_camera_detections(TYPES, dets)
    assert [d.results[0].hypothesis.class_id for d in msg.detections] == ["car", "pedestrian"]
    back, skipped = detection2d.to_camera_detections(wire(msg), "camera_front", "/cam")
    assert not skipped and back.stamp_ns == 7 and back.frame_id == "camera_front_optical"
    np.testing.assert_allclose(back.boxes, dets.boxes)
    np.testing.assert_array_equal(back.classes, dets.classes)
    np.testing.assert_allclose(back.scores, dets.scores)


def test_class_ids_by_value_or_name_and_the_best_hypothesis():
    assert detection2d.object_class_of("1") is ObjectClass.CAR
    assert detection2d.object_class_of(" person ") is ObjectClass.PEDESTRIAN
    assert detection2d.object_class_of("traffic light") is None and detection2d.object_class_of("99") is None
    hypothesis = TYPES("vision_msgs/msg/ObjectHypothesis")
    results = [TYPES("vision_msgs/msg/ObjectHypothesisWithPose")(hypothesis=hypothesis(class_id=c, score=s))
               for c, s in (("car", 0.4), ("truck", 0.7), ("bus", 0.2))]
    assert detection2d.best_hypothesis(results) == ("truck", pytest.approx(0.7))
    assert detection2d.best_hypothesis([]) is None


def test_radar_scan_round_trip_amplitude_is_rcs():
    dets = RadarDetections(11, "radar_front", "radar_front", range=np.array([12.0, 40.5]), azimuth=np.array([0.1, -0.3]),
                           elevation=np.array([0.0, 0.02]), range_rate=np.array([-3.0, 1.5]), rcs=np.array([10.0, -2.0]))
    back, dropped = radar_scan.to_radar_detections(wire(radar_scan.from_radar_detections(TYPES, dets)), "radar_front")
    assert dropped == 0 and back.stamp_ns == 11
    for name in ("range", "azimuth", "elevation", "range_rate", "rcs"):
        np.testing.assert_allclose(getattr(back, name), getattr(dets, name), atol=1e-6, err_msg=name)


def test_camera_info_round_trip_of_a_distorted_camera():
    camera = PinholeCamera.from_camera_info(1280, 720, [900.0, 0, 640.5, 0, 905.0, 360.0, 0, 0, 1], [-0.1, 0.02, 0.001, 0.0, 0.0],
                                            frame_id="camera_front_optical")
    msg = wire(camera_info.from_camera(TYPES, camera, 5))
    np.testing.assert_allclose(np.asarray(msg.p).reshape(3, 4)[:, :3], camera.K)
    back = camera_info.to_camera(msg)
    assert (back.width, back.height, back.frame_id) == (1280, 720, "camera_front_optical")
    np.testing.assert_allclose(back.K, camera.K)
    np.testing.assert_allclose(back.distortion, camera.distortion)


def test_detection3d_array_keeps_ids_covariances_and_class_names():
    boxes = Boxes3D(3, "lidar_top", "lidar_top", centers=[[10.0, 2.0, 0.8], [5.0, -1.0, 0.9], [7.0, 0.0, 1.0]],
                    sizes=[[4.5, 1.9, 1.5], [0.6, 0.6, 1.8], [12.0, 2.5, 3.5]], yaws=[0.3, -2.0, 3.1],
                    classes=[int(ObjectClass.CAR), int(ObjectClass.PEDESTRIAN), int(ObjectClass.BUS)], scores=[0.9, 0.6, 0.7])
    covariances = np.arange(3 * 36, dtype=float).reshape(3, 36)
    msg = wire(detection3d.encode(TYPES, boxes.stamp_ns, boxes.frame_id, boxes.centers, boxes.sizes, boxes.yaws, boxes.classes,
                                  boxes.scores, ids=["4", "8", "15"], pose_covariances=covariances))
    assert [d.id for d in msg.detections] == ["4", "8", "15"]
    assert [d.results[0].hypothesis.class_id for d in msg.detections] == ["car", "pedestrian", "bus"]
    np.testing.assert_allclose([d.results[0].pose.covariance for d in msg.detections], covariances)
    back, _ = detection3d.to_boxes3d(msg, "lidar_top")
    np.testing.assert_allclose(back.centers, boxes.centers)
    np.testing.assert_allclose(np.cos(back.yaws - boxes.yaws), 1.0)


def _objects(track_ids: list[int], probabilities: np.ndarray) -> ObjectList:
    n = len(track_ids)
    return ObjectList(9, "map", track_ids=np.array(track_ids, dtype=np.int64), classes=probabilities.argmax(axis=1),
                      class_probabilities=probabilities, position=np.zeros((n, 3)), velocity=np.zeros((n, 3)),
                      acceleration=np.zeros((n, 3)), yaw=np.zeros(n), yaw_rate=np.zeros(n),
                      pose_covariance=np.tile(np.eye(4), (n, 1, 1)), twist_covariance=np.tile(np.eye(4), (n, 1, 1)),
                      size=np.ones((n, 3)), existence_probability=np.full(n, 0.8), age_s=np.zeros(n),
                      status=np.ones(n, dtype=np.int64), sensor_mask=np.ones(n, dtype=np.int64))


def test_track_ids_travel_as_big_endian_uuids():
    ids = [0, 1, 2**40 + 5, 2**63 - 1]
    uuids = tracked_objects.uuids(np.array(ids, dtype=np.int64))
    assert uuids.shape == (4, 16) and uuids.dtype == np.uint8
    assert [int.from_bytes(bytes(u), "big") for u in uuids] == ids
    msg = wire(tracked_objects.from_object_list(TYPES, _objects(ids, np.eye(8)[[1, 1, 7, 2]])))
    assert [tracked_objects.track_id_of(o.object_id.uuid) for o in msg.objects] == ids
    with pytest.raises(ValueError, match="non-negative"):
        tracked_objects.uuids(np.array([3, -1]))


def test_classifications_are_ordered_by_probability_and_never_empty():
    probabilities = np.zeros((2, 8))
    probabilities[0, [1, 2, 7]] = [0.5, 0.2, 0.3]
    ol = _objects([1, 2], probabilities)
    ol.classes[1] = int(ObjectClass.BICYCLE)    # no probabilities at all: the class itself, with certainty
    first, second = wire(tracked_objects.from_object_list(TYPES, ol)).objects
    assert [(c.label, round(c.probability, 3)) for c in first.classification] == [(1, 0.5), (7, 0.3), (2, 0.2)]
    assert [(c.label, c.probability) for c in second.classification] == [(int(ObjectClass.BICYCLE), 1.0)]


def test_diagnostic_levels_are_ints_in_rosbags_messages_and_survive_cdr():
    report = Report(1_000, [Status(f"node {level.name}", level, "m", "hw", {"k": "v"}) for level in Level])
    msg = diagnostics.from_report(TYPES, report)
    assert all(isinstance(s.level, int) for s in msg.status)
    assert [s.level for s in diagnostics.to_report(wire(msg)).statuses] == list(Level)
