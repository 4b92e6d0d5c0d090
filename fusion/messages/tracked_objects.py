"""ObjectList <-> autoware_perception_msgs/TrackedObjects, and ObjectList -> vision_msgs/Detection3DArray.

TrackedObjects follows Autoware's conventions: the pose is in the list's frame (e.g. map), while
twist and acceleration are in the object's own frame (x along its heading), so velocities are
rotated by -yaw on the way out and back by +yaw on the way in, covariances with them. The UUID
holds the track id as a 128-bit big-endian integer, so track ids survive the round trip.
Roll and pitch are not estimated (upright objects): their covariance entries stay zero.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from fusion.core import quaternion as quat
from fusion.core.classes import NUM_CLASSES
from fusion.core.errors import InputError
from fusion.core.objects import ObjectList, TrackStatus
from fusion.messages import detection3d
from fusion.messages.header import MessageTypes, header_frame_id, header_stamp_ns, make_header

AVAILABLE = 2          # TrackedObjectKinematics.orientation_availability: yaw with known sign
BOUNDING_BOX = 0       # Shape.type
STATIONARY_SPEED_MPS = 0.2   # below this horizontal speed an object is reported is_stationary


def _rotation_z(angle: np.ndarray) -> np.ndarray:
    """(N, 4, 4) rotations of (vx, vy, vz, rate) vectors by angle about z."""
    c, s = np.cos(angle), np.sin(angle)
    r = np.zeros((len(angle), 4, 4))
    r[:, 0, 0], r[:, 0, 1], r[:, 1, 0], r[:, 1, 1] = c, -s, s, c
    r[:, 2, 2] = r[:, 3, 3] = 1.0
    return r


def uuids(track_ids: np.ndarray) -> np.ndarray:
    """(N, 16) uint8 UUIDs holding non-negative track ids as 128-bit big-endian integers."""
    ids = np.asarray(track_ids, dtype=np.int64).reshape(-1)
    if np.any(ids < 0):
        raise ValueError(f"track ids must be non-negative, got {int(ids.min())}")
    out = np.zeros((len(ids), 16), dtype=np.uint8)
    out[:, 8:] = ids.astype(">u8").view(np.uint8).reshape(-1, 8)
    return out


def track_id_of(uuid: Any) -> int:
    return int.from_bytes(bytes(np.asarray(uuid, dtype=np.uint8)), "big")


def from_object_list(types: MessageTypes, objects: ObjectList) -> Any:
    """A TrackedObjects message with one TrackedObject per object. The arrays become Python numbers
    once (tolist) and every message is built in one call; fields that are the same for every object
    (zero angular accelerations and their covariance, the empty footprint) share one value."""
    n = len(objects)
    to_object = _rotation_z(-objects.yaw)
    velocity = np.einsum("nij,nj->ni", to_object, np.column_stack([objects.velocity, objects.yaw_rate]))
    accel = np.einsum("nij,nj->ni", to_object[:, :3, :3], objects.acceleration)
    twist_cov = detection3d.covariance_6x6(to_object @ objects.twist_covariance @ to_object.transpose(0, 2, 1))
    pose_cov = detection3d.covariance_6x6(objects.pose_covariance)
    rotations = quat.from_rpy(np.zeros(n), np.zeros(n), objects.yaw).reshape(-1, 4)
    stationary = np.linalg.norm(objects.velocity[:, :2], axis=1) < STATIONARY_SPEED_MPS
    table = np.column_stack([objects.position, rotations, velocity, accel, objects.size, objects.existence_probability,
                             stationary]).tolist()
    probabilities = objects.class_probabilities
    order = np.argsort(-probabilities, axis=1, kind="stable").tolist() if n else []
    probability_rows, classes, ids = probabilities.tolist(), objects.classes.tolist(), uuids(objects.track_ids)
    T = types
    point, quaternion, vector, pose_t = (T("geometry_msgs/msg/Point"), T("geometry_msgs/msg/Quaternion"),
                                         T("geometry_msgs/msg/Vector3"), T("geometry_msgs/msg/Pose"))
    pwc, twc, awc = (T("geometry_msgs/msg/PoseWithCovariance"), T("geometry_msgs/msg/TwistWithCovariance"),
                     T("geometry_msgs/msg/AccelWithCovariance"))
    twist_t, accel_t, kinematics_t = T("geometry_msgs/msg/Twist"), T("geometry_msgs/msg/Accel"), T("autoware_perception_msgs/msg/TrackedObjectKinematics")
    classification, uuid_t = T("autoware_perception_msgs/msg/ObjectClassification"), T("unique_identifier_msgs/msg/UUID")
    shape_t, tracked = T("autoware_perception_msgs/msg/Shape"), T("autoware_perception_msgs/msg/TrackedObject")
    zero_vector, zero_covariance = vector(x=0.0, y=0.0, z=0.0), np.zeros(36)
    no_footprint = T("geometry_msgs/msg/Polygon")(points=[])
    out = []
    for i, (x, y, z, qx, qy, qz, qw, vx, vy, vz, wz, ax, ay, az, length, width, height, existence, still) in enumerate(table):
        p = probability_rows[i]
        labels = [classification(label=c, probability=p[c]) for c in order[i] if p[c] > 0] or \
            [classification(label=classes[i], probability=1.0)]
        kinematics = kinematics_t(
            pose_with_covariance=pwc(pose=pose_t(position=point(x=x, y=y, z=z), orientation=quaternion(x=qx, y=qy, z=qz, w=qw)),
                                     covariance=pose_cov[i]),
            twist_with_covariance=twc(twist=twist_t(linear=vector(x=vx, y=vy, z=vz), angular=vector(x=0.0, y=0.0, z=wz)),
                                      covariance=twist_cov[i]),
            acceleration_with_covariance=awc(accel=accel_t(linear=vector(x=ax, y=ay, z=az), angular=zero_vector),
                                             covariance=zero_covariance),
            orientation_availability=AVAILABLE, is_stationary=bool(still))
        out.append(tracked(object_id=uuid_t(uuid=ids[i]), existence_probability=existence, classification=labels,
                           kinematics=kinematics, shape=shape_t(type=BOUNDING_BOX, footprint=no_footprint,
                                                                 dimensions=vector(x=length, y=width, z=height))))
    return T("autoware_perception_msgs/msg/TrackedObjects")(header=make_header(T, objects.stamp_ns, objects.frame_id), objects=out)


def to_object_list(msg: Any, topic: str = "") -> ObjectList:
    """A TrackedObjects message as an ObjectList (velocities back in the list's frame). Fields the
    message does not carry are neutral: status confirmed, age 0, no sensor mask."""
    where = f"TrackedObjects on {topic!r}" if topic else "TrackedObjects"
    stamp_ns = header_stamp_ns(msg.header, where)
    frame_id = header_frame_id(msg.header, where)
    n = len(msg.objects)
    track_ids = np.zeros(n, dtype=np.int64)
    probabilities = np.zeros((n, NUM_CLASSES))
    table = np.zeros((n, 17))   # position 3, quaternion 4, twist 4, accel 3, size 3
    pose_cov, twist_cov = np.zeros((n, 36)), np.zeros((n, 36))
    existence = np.zeros(n)
    for i, o in enumerate(msg.objects):
        try:
            track_ids[i] = track_id_of(o.object_id.uuid)
            for c in o.classification:
                if 0 <= int(c.label) < NUM_CLASSES:
                    probabilities[i, int(c.label)] = float(c.probability)
            k = o.kinematics
            p, q = k.pose_with_covariance.pose.position, k.pose_with_covariance.pose.orientation
            v, w = k.twist_with_covariance.twist.linear, k.twist_with_covariance.twist.angular
            a, d = k.acceleration_with_covariance.accel.linear, o.shape.dimensions
            table[i] = [p.x, p.y, p.z, q.x, q.y, q.z, q.w, v.x, v.y, v.z, w.z, a.x, a.y, a.z, d.x, d.y, d.z]
            pose_cov[i] = np.asarray(k.pose_with_covariance.covariance, dtype=float)
            twist_cov[i] = np.asarray(k.twist_with_covariance.covariance, dtype=float)
            existence[i] = float(o.existence_probability)
        except (AttributeError, ValueError, OverflowError) as exc:
            raise InputError(where, f"object {i} is malformed: {exc}") from None
    if not np.all(np.isfinite(table)):
        raise InputError(where, f"object {int(np.argwhere(~np.isfinite(table))[0, 0])} has a non-finite value")
    yaw = quat.to_yaw(table[:, 3:7]) if n else np.zeros(0)
    to_list = _rotation_z(yaw)
    pose4 = detection3d.covariance_4x4(pose_cov)
    twist4 = to_list @ detection3d.covariance_4x4(twist_cov) @ to_list.transpose(0, 2, 1)
    twist = np.einsum("nij,nj->ni", to_list, table[:, 7:11])
    return ObjectList(
        stamp_ns, frame_id, track_ids=track_ids, classes=probabilities.argmax(axis=1) if n else np.zeros(0, dtype=np.int64),
        class_probabilities=probabilities, position=table[:, 0:3], velocity=twist[:, :3],
        acceleration=np.einsum("nij,nj->ni", to_list[:, :3, :3], table[:, 11:14]), yaw=yaw, yaw_rate=twist[:, 3],
        pose_covariance=pose4, twist_covariance=twist4, size=table[:, 14:17], existence_probability=existence,
        age_s=np.zeros(n), status=np.full(n, int(TrackStatus.CONFIRMED), dtype=np.int64),
        sensor_mask=np.zeros(n, dtype=np.int64))


def to_detection3d_array(types: MessageTypes, objects: ObjectList) -> Any:
    """The object list as a Detection3DArray: one detection per object, id = track id, score =
    existence probability, pose covariance as in TrackedObjects."""
    return detection3d.encode(types, objects.stamp_ns, objects.frame_id, objects.position, objects.size, objects.yaw,
                              objects.classes, objects.existence_probability,
                              ids=[str(int(t)) for t in objects.track_ids],
                              pose_covariances=detection3d.covariance_6x6(objects.pose_covariance))
