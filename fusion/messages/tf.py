"""tf2_msgs/TFMessage <-> stamped Transforms (/tf and /tf_static), and the vehicle's extrinsics as
the /tf_static a bag or a live graph publishes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from fusion.config.vehicle import VehicleConfig
from fusion.core.errors import InputError
from fusion.core.transform import Transform
from fusion.messages.header import MessageTypes, header_stamp_ns, make_header


@dataclass(frozen=True)
class StampedTransform:
    """T_parent_child at stamp_ns (geometry_msgs/TransformStamped semantics)."""

    parent: str
    child: str
    stamp_ns: int
    transform: Transform


def pose_fields(types: MessageTypes, translation: np.ndarray, rotation: np.ndarray, position_type: str) -> tuple[Any, Any]:
    """(position or translation, orientation) messages: position_type is geometry_msgs Point or Vector3."""
    x, y, z = (float(v) for v in translation)
    qx, qy, qz, qw = (float(v) for v in rotation)
    return (types(f"geometry_msgs/msg/{position_type}")(x=x, y=y, z=z),
            types("geometry_msgs/msg/Quaternion")(x=qx, y=qy, z=qz, w=qw))


def from_transforms(types: MessageTypes, transforms: Iterable[StampedTransform]) -> Any:
    """A TFMessage holding each transform as a TransformStamped."""
    stamped = []
    for t in transforms:
        translation, rotation = pose_fields(types, t.transform.translation, t.transform.rotation, "Vector3")
        stamped.append(types("geometry_msgs/msg/TransformStamped")(
            header=make_header(types, t.stamp_ns, t.parent), child_frame_id=t.child,
            transform=types("geometry_msgs/msg/Transform")(translation=translation, rotation=rotation)))
    return types("tf2_msgs/msg/TFMessage")(transforms=stamped)


def to_transforms(msg: Any, topic: str = "/tf") -> list[StampedTransform]:
    """Every TransformStamped of a TFMessage; a malformed one (empty frame, NaN, zero quaternion)
    is an InputError naming its index and frames."""
    out = []
    for i, t in enumerate(msg.transforms):
        where = f"TFMessage on {topic!r}, transform {i}"
        parent, child = str(t.header.frame_id), str(t.child_frame_id)
        if not parent or not child:
            raise InputError(where, f"empty frame id ({parent!r} -> {child!r})")
        tr, q = t.transform.translation, t.transform.rotation
        rotation = np.array([q.x, q.y, q.z, q.w], dtype=float)
        if np.all(np.isfinite(rotation)) and np.linalg.norm(rotation) < 1e-6:
            raise InputError(f"{where} ({parent} -> {child})", "rotation quaternion is zero")
        try:
            transform = Transform(np.array([tr.x, tr.y, tr.z], dtype=float), rotation)
        except InputError as exc:
            raise InputError(f"{where} ({parent} -> {child})", exc.reason) from None
        out.append(StampedTransform(parent, child, header_stamp_ns(t.header, where), transform))
    return out


def vehicle_extrinsics(vehicle: VehicleConfig, stamp_ns: int) -> list[StampedTransform]:
    """Each enabled sensor's mount as parent -> sensor frame, for /tf_static."""
    return [StampedTransform(s.mount.parent_frame, s.frame_id, stamp_ns, s.mount.transform())
            for s in vehicle.sensors.values() if s.enabled]
