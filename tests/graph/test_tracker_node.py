"""The tracker node core's object list trigger: after each processed measurement, at its stamp
('input'), or on the runtime's timer ('timer')."""
from __future__ import annotations

import numpy as np

from fusion.config.loader import config_dir, load_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.measurements import Boxes3D
from fusion.core.transform import Transform
from fusion.graph.tracker import TrackerNode
from fusion.graph.topics import OBJECTS, OBJECTS_DETECTION3D, OBJECTS_MARKERS, TF, frontend_topic
from fusion.messages.tf import StampedTransform
from fusion.tracking.config import TrackerConfig

T0 = 1_700_000_000_000_000_000
LIDAR = frontend_topic("lidar_top")


def node(trigger: str, reorder_window_s: float) -> TrackerNode:
    config = TrackerConfig()
    config = config.model_copy(update={"timing": config.timing.model_copy(update={"reorder_window_s": reorder_window_s})})
    return TrackerNode(config, load_config(config_dir() / "vehicle.yaml", VehicleConfig), 10.0, objects_trigger=trigger)


def boxes(stamp_ns: int) -> Boxes3D:
    return Boxes3D(stamp_ns, "lidar_top", "lidar_top", centers=[[15.0, 2.0, -1.0], [30.0, -4.0, -1.0]], sizes=[[4.0, 1.8, 1.5]] * 2,
                   yaws=[0.0, 0.3], classes=[1, 1], scores=[0.9, 0.8])


def feed(tracker: TrackerNode, stamp_ns: int) -> list:
    assert tracker.process(TF, [StampedTransform("map", "base_link", stamp_ns, Transform.identity())], stamp_ns) == []
    return tracker.process(LIDAR, boxes(stamp_ns), stamp_ns + 5_000_000)


def test_input_trigger_publishes_each_processed_measurement_at_its_stamp() -> None:
    tracker = node("input", 0.0)
    assert tracker.period_ns is None                       # no timer
    for k in range(3):
        outputs = feed(tracker, T0 + k * 50_000_000)
        assert [o.topic for o in outputs] == [OBJECTS, OBJECTS_DETECTION3D, OBJECTS_MARKERS]
        assert {o.stamp_ns for o in outputs} == {o.data.stamp_ns for o in outputs} == {T0 + k * 50_000_000}
    assert tracker.tick(T0 + 10**9) and tracker.diagnostics.stats(LIDAR).accepted == 3


def test_input_trigger_waits_for_the_reorder_window_to_release_a_measurement() -> None:
    tracker = node("input", 0.1)
    assert feed(tracker, T0) == [] and feed(tracker, T0 + 50_000_000) == []
    released = feed(tracker, T0 + 120_000_000)             # the first measurement is now 0.12 s behind the newest
    assert released and released[0].data.stamp_ns == T0


def test_timer_trigger_leaves_the_object_list_to_the_ticks() -> None:
    tracker = node("timer", 0.0)
    assert tracker.period_ns == 100_000_000
    assert feed(tracker, T0) == []
    (objects, *_rest) = tracker.tick(T0 + 100_000_000)
    assert objects.topic == OBJECTS and objects.data.stamp_ns == T0 + 100_000_000
    assert np.all(np.isfinite(objects.data.position))
