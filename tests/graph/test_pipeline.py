"""The replay Pipeline's order of outputs (timers first, then each message's outputs breadth first)
and the node cores' input bookkeeping: rejections with reasons, drops, clipping at the camera."""
from __future__ import annotations

import numpy as np

from datasets.bags.typestore import message_types
from fusion.config.loader import config_dir, load_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.errors import InputError
from fusion.core.measurements import CameraDetections
from fusion.graph.camera import CameraNode
from fusion.graph.node import NodeCore, Output
from fusion.graph.pipeline import Pipeline
from fusion.graph.topics import DIAGNOSTICS, frontend_topic
from fusion.messages import camera_info
from sensors.camera.pinhole import PinholeCamera

TEXT = "std_msgs/msg/String"
MS = 1_000_000


class Relay(NodeCore):
    """Passes each input on to every output topic as '<input>><name>'; ticks publish '<stamp>><name>'.
    The input 'bad' is rejected."""

    def __init__(self, name: str, inputs: list[str], outputs: list[str], period_ns: int | None = None):
        super().__init__(name)
        self.period_ns = period_ns
        for topic in inputs:
            self.add_input(topic, {TEXT: self._decode})
        for topic in outputs:
            self.add_output(topic, TEXT, lambda types, data: data)

    @staticmethod
    def _decode(msg: str, topic: str) -> str:
        if not msg:
            raise InputError(f"text on {topic!r}", "empty")
        return msg

    def _process(self, topic: str, data: str, now_ns: int) -> list[Output]:
        if data == "bad":
            raise InputError(f"text on {topic!r}", f"bad input at {now_ns}")
        return [Output(out, now_ns, f"{data}>{self.name}") for out in self.outputs]

    def tick(self, now_ns: int) -> list[Output]:
        return [Output(out, now_ns, f"{now_ns}>{self.name}") for out in self.outputs]


def chain() -> Pipeline:
    """/in -> a -> (/a1, /a2); /a1 -> b -> /b -> d -> /d; /a2 -> c -> /c; c also ticks every 100 ms."""
    return Pipeline([Relay("a", ["/in"], ["/a1", "/a2"]), Relay("b", ["/a1"], ["/b"]),
                     Relay("c", ["/a2"], ["/c"], period_ns=100 * MS), Relay("d", ["/b"], ["/d"])])


def test_outputs_follow_breadth_first_after_the_timers_due():
    pipeline = chain()
    assert pipeline.input_topics == {"/in"}
    first = pipeline.feed("/in", "m", TEXT, 0)
    assert [(o.topic, o.data) for o in first if o.topic != DIAGNOSTICS] == [
        ("/c", "0>c"), ("/a1", "m>a"), ("/a2", "m>a"), ("/b", "m>a>b"), ("/c", "m>a>c"), ("/d", "m>a>b>d")]
    later = pipeline.feed("/in", "n", TEXT, 250 * MS)
    assert [(o.topic, o.stamp_ns, o.data) for o in later][:2] == [("/c", 100 * MS, f"{100 * MS}>c"),
                                                                  ("/c", 200 * MS, f"{200 * MS}>c")]
    assert pipeline.advance(150 * MS) == [] and pipeline.now_ns == 250 * MS   # time does not go back


def test_bad_inputs_are_counted_per_node_and_the_rest_goes_on():
    pipeline = chain()
    assert {o.topic for o in pipeline.feed("/in", "", TEXT, 0)} == {"/c", DIAGNOSTICS}   # the timers only
    assert pipeline.feed("/in", "m", "std_msgs/msg/Int32", MS) == []
    assert [o.data for o in pipeline.feed("/in", "bad", TEXT, 2 * MS)] == []
    assert [o.data for o in pipeline.feed("/in", "ok", TEXT, 3 * MS)][-1] == "ok>a>b>d"
    pipeline.reject("/in", "cannot decode", 4 * MS)
    stats = pipeline.nodes[0].diagnostics.stats("/in")
    assert (stats.accepted, stats.rejected) == (1, 4)
    assert stats.reasons == {"empty": 1, "unexpected message type std_msgs/msg/Int#": 1, "bad input at #": 1,
                             "cannot decode": 1}
    values = pipeline.nodes[0].status(5 * MS).values
    assert values["/in accepted"] == "1" and values["/in last reason"] == "cannot decode"


def test_camera_node_clips_boxes_to_the_image_and_drops_those_outside():
    sensor = load_config(config_dir() / "vehicle.yaml", VehicleConfig).sensors["camera_front"]
    node = CameraNode("camera_front", sensor)
    width, height = node.camera.width, node.camera.height
    boxes = [[-20.0, 10.0, 40.0, 50.0], [width + 5.0, 0.0, width + 50.0, 30.0], [100.0, height - 10.0, 180.0, height + 30.0]]
    data = CameraDetections(7, sensor.frame_id, "camera_front", boxes=boxes, classes=[1, 2, 7], scores=[0.9, 0.8, 0.7])
    (out,) = node.process("/sensors/camera_front/detections", data, 9)
    assert out.topic == frontend_topic("camera_front") and out.stamp_ns == 7
    np.testing.assert_array_equal(out.data.boxes, [[0.0, 10.0, 40.0, 50.0], [100.0, height - 10.0, 180.0, height]])
    np.testing.assert_array_equal(out.data.classes, [1, 7])
    np.testing.assert_array_equal(out.data.scores, [0.9, 0.7])
    stats = node.diagnostics.stats("/sensors/camera_front/detections")
    assert (stats.accepted, stats.dropped) == (1, 1)
    (inside,) = node.process("/sensors/camera_front/detections", CameraDetections(8, sensor.frame_id, "camera_front",
                                                                                  boxes=[[1.0, 2.0, 3.0, 4.0]]), 9)
    np.testing.assert_array_equal(inside.data.boxes, [[1.0, 2.0, 3.0, 4.0]])
    assert node.diagnostics.stats("/sensors/camera_front/detections").dropped == 1


def test_camera_node_drops_boxes_beyond_each_image_edge_and_keeps_an_empty_batch():
    sensor = load_config(config_dir() / "vehicle.yaml", VehicleConfig).sensors["camera_front"]
    node = CameraNode("camera_front", sensor)
    width, height = node.camera.width, node.camera.height
    beyond = [[-30.0, 5.0, 0.0, 20.0], [5.0, -30.0, 20.0, 0.0], [float(width), 5.0, width + 9.0, 20.0],
              [5.0, float(height), 20.0, height + 9.0]]   # left, top, right, bottom: touching an edge is outside
    kept = [width - 1.0, height - 1.0, width + 1.0, height + 1.0]
    data = CameraDetections(7, sensor.frame_id, "camera_front", boxes=beyond + [kept], classes=[1, 2, 3, 4, 6])
    (out,) = node.process("/sensors/camera_front/detections", data, 9)
    np.testing.assert_array_equal(out.data.boxes, [[width - 1.0, height - 1.0, width, height]])
    np.testing.assert_array_equal(out.data.classes, [6])
    (empty,) = node.process("/sensors/camera_front/detections", CameraDetections(8, sensor.frame_id, "camera_front"), 9)
    assert len(empty.data) == 0
    stats = node.diagnostics.stats("/sensors/camera_front/detections")
    assert (stats.accepted, stats.dropped) == (2, 4)
    assert stats.last_reason == f"box outside the {width}x{height} image"


def test_camera_node_takes_the_camera_info_and_reuses_its_camera_while_it_is_unchanged():
    sensor = load_config(config_dir() / "vehicle.yaml", VehicleConfig).sensors["camera_front"]
    node, types, topic = CameraNode("camera_front", sensor), message_types(), "/sensors/camera_front/camera_info"
    small = PinholeCamera.from_camera_info(640, 480, [500.0, 0.0, 320.0, 0.0, 500.0, 240.0, 0.0, 0.0, 1.0], None,
                                           frame_id=sensor.frame_id)
    assert node.receive(topic, camera_info.from_camera(types, small, 5), "sensor_msgs/msg/CameraInfo", 6) == []
    first = node.camera
    assert (first.width, first.height) == (640, 480) and np.array_equal(first.K, small.K)
    node.receive(topic, camera_info.from_camera(types, small, 7), "sensor_msgs/msg/CameraInfo", 8)
    assert node.camera is first                                     # the same CameraInfo again
    wider = PinholeCamera.from_camera_info(800, 480, small.K.reshape(-1), None, frame_id=sensor.frame_id)
    node.receive(topic, camera_info.from_camera(types, wider, 9), "sensor_msgs/msg/CameraInfo", 10)
    assert node.camera.width == 800
    uncalibrated = camera_info.from_camera(types, small, 11)
    uncalibrated.p = np.zeros(12)
    node.receive(topic, uncalibrated, "sensor_msgs/msg/CameraInfo", 12)
    stats = node.diagnostics.stats(topic)
    assert (stats.accepted, stats.rejected, node.camera.width) == (3, 1, 800)
    assert "no valid focal length" in stats.last_reason
