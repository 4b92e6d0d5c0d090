"""The tracker node: every front-end's detections, /tf (map -> base_link from the ego node) and
/tf_static in; the object list out as TrackedObjects, Detection3DArray and markers, either right
after each processed measurement at its stamp (objects_trigger 'input') or at a fixed rate
('timer', tracks predicted to the tick)."""
from __future__ import annotations

from typing import Any, Literal

from fusion.config.vehicle import VehicleConfig
from fusion.core.errors import StampOrderError
from fusion.core.objects import ObjectList
from fusion.core.time import NS_PER_S
from fusion.graph.diagnostics import Status
from fusion.graph.node import Decoder, NodeCore, Output
from fusion.graph.topics import OBJECTS, OBJECTS_DETECTION3D, OBJECTS_MARKERS, TF, TF_STATIC, frontend_topic
from fusion.messages import detection2d, detection3d, markers, radar_scan, tf, tracked_objects
from fusion.messages.tf import StampedTransform
from fusion.tracking.config import TrackerConfig
from fusion.tracking.tracker import MultiObjectTracker

_DECODERS: dict[str, tuple[str, Any]] = {
    "camera": ("vision_msgs/msg/Detection2DArray", detection2d.to_camera_detections),
    "radar": ("radar_msgs/msg/RadarScan", radar_scan.to_radar_detections),
    "lidar": ("vision_msgs/msg/Detection3DArray", detection3d.to_boxes3d),
}


class TrackerNode(NodeCore):
    def __init__(self, config: TrackerConfig, vehicle: VehicleConfig, objects_rate_hz: float, name: str = "tracker",
                 tracker: MultiObjectTracker | None = None, objects_trigger: Literal["input", "timer"] = "timer"):
        """`tracker`: a prebuilt one (e.g. with the learned association cost); /tf feeds its transform tree.
        objects_rate_hz applies to objects_trigger 'timer' only."""
        super().__init__(name)
        self.tracker = tracker or MultiObjectTracker(config, vehicle, vehicle.transform_tree())
        self.tree = self.tracker.tree
        self.period_ns = int(round(NS_PER_S / objects_rate_hz)) if objects_trigger == "timer" else None
        for sensor_id, sensor in vehicle.sensors.items():
            if sensor.enabled and sensor.kind in _DECODERS:
                msgtype, decode = _DECODERS[sensor.kind]
                self.add_input(frontend_topic(sensor_id), {msgtype: self._first(decode, sensor_id)}, sensor_data=False)
        self.add_input(TF, {"tf2_msgs/msg/TFMessage": tf.to_transforms}, sensor_data=False)
        self.add_input(TF_STATIC, {"tf2_msgs/msg/TFMessage": tf.to_transforms}, sensor_data=False)
        self.add_output(OBJECTS, "autoware_perception_msgs/msg/TrackedObjects", tracked_objects.from_object_list)
        self.add_output(OBJECTS_DETECTION3D, "vision_msgs/msg/Detection3DArray", tracked_objects.to_detection3d_array)
        self.add_output(OBJECTS_MARKERS, "visualization_msgs/msg/MarkerArray", markers.from_object_list)

    @staticmethod
    def _first(decode: Any, sensor_id: str) -> Decoder:
        """The front-end topics' decoders return (data, what was skipped); the front-end counted that."""
        return lambda msg, topic: decode(msg, sensor_id, topic)[0]

    def _process(self, topic: str, data: Any, now_ns: int) -> list[Output]:
        if topic in (TF, TF_STATIC):
            for t in data:
                self._add_transform(t, static=topic == TF_STATIC)
            return []
        if self.period_ns is not None:
            self.tracker.process(data)
            return []
        processed = self._processed_batches()
        self.tracker.process(data)   # may wait in the reorder window, or release earlier measurements
        return self._outputs(self.tracker.object_list()) if self._processed_batches() > processed else []

    def _processed_batches(self) -> int:
        return sum(self.tracker.diagnostics()["processed"].values())

    def _add_transform(self, t: StampedTransform, static: bool) -> None:
        if static:
            self.tree.set_static(t.parent, t.child, t.transform)
        else:
            self.tree.add_dynamic(t.parent, t.child, t.stamp_ns, t.transform)

    def tick(self, now_ns: int) -> list[Output]:
        try:
            objects = self.tracker.object_list(now_ns)
        except StampOrderError as exc:   # the tracker has already processed data past this tick
            self.diagnostics.dropped("object list", exc.reason)
            return []
        return self._outputs(objects)

    @staticmethod
    def _outputs(objects: ObjectList) -> list[Output]:
        return [Output(topic, objects.stamp_ns, objects) for topic in (OBJECTS, OBJECTS_DETECTION3D, OBJECTS_MARKERS)]

    def status(self, now_ns: int) -> Status:
        """Node input counts plus the tracker's own counters (its wall-clock stage timings are left
        out, so that a replay's diagnostics are as deterministic as its object lists)."""
        d = self.tracker.diagnostics()
        extra = {"tracks " + k: str(v) for k, v in d["tracks"].items()}
        for group in ("received", "processed", "rejected", "tracks_deleted"):
            extra.update({f"tracker {group} {k}": str(v) for k, v in sorted(d[group].items())})
        extra["tracks created"] = str(d["tracks_created"])
        return self.diagnostics.status(now_ns, extra)
