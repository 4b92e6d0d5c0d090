"""The replay Pipeline's order of outputs (timers first, then each message's outputs breadth first)
and the node cores' input bookkeeping: rejections with reasons, drops, clipping at the camera."""
from __future__ import annotations

import numpy as np

from fusion.config.loader import config_dir, load_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.errors import InputError
from fusion.core.measurements import CameraDetections
from fusion.graph.camera import CameraNode
from fusion.graph.node import NodeCore, Output
from fusion.graph.pipeline import Pipeline
from fusion.graph.topics import DIAGNOSTICS, frontend_topic

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
