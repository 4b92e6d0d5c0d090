"""Ground truth <-> the /ground_truth topics: road users as autoware_perception_msgs/TrackedObjects
(map frame; track ids are the true ids) and the ego drive as nav_msgs/Odometry.

TrackedObjects has no "visible" flag, so a truth object's existence_probability carries whether
at least one sensor could detect it: 1.0 visible, 0.0 not (evaluation scores the visible ones).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from datasets.simulation.ego_trajectory import EgoTrajectory
from datasets.simulation.scenario import TruthFrame
from fusion.core.classes import NUM_CLASSES
from fusion.core.objects import ObjectList, TrackStatus
from fusion.ego.state import Odometry
from fusion.messages import tracked_objects
from fusion.messages.header import MessageTypes

VISIBLE = 0.5   # existence_probability above this: visible to some sensor


def truth_object_list(frame: TruthFrame, frame_id: str = "map") -> ObjectList:
    n = len(frame.track_ids)
    classes = np.asarray(frame.classes, dtype=np.int64)
    zeros = np.zeros((n, 3))
    return ObjectList(frame.stamp_ns, frame_id, track_ids=np.asarray(frame.track_ids, dtype=np.int64), classes=classes,
                      class_probabilities=np.eye(NUM_CLASSES)[classes], position=np.asarray(frame.centers, dtype=float),
                      velocity=np.asarray(frame.velocities, dtype=float), acceleration=zeros, yaw=np.asarray(frame.yaws, dtype=float),
                      yaw_rate=np.zeros(n), pose_covariance=np.zeros((n, 4, 4)), twist_covariance=np.zeros((n, 4, 4)),
                      size=np.asarray(frame.sizes, dtype=float), existence_probability=np.asarray(frame.visible, dtype=float),
                      age_s=np.zeros(n), status=np.full(n, int(TrackStatus.CONFIRMED), dtype=np.int64),
                      sensor_mask=np.zeros(n, dtype=np.int64))


def from_truth_frame(types: MessageTypes, frame: TruthFrame, frame_id: str = "map") -> Any:
    return tracked_objects.from_object_list(types, truth_object_list(frame, frame_id))


def to_truth_frame(msg: Any, topic: str = "") -> TruthFrame:
    """A ground-truth TrackedObjects message back as a TruthFrame (map frame)."""
    objects = tracked_objects.to_object_list(msg, topic)
    return TruthFrame(objects.stamp_ns, objects.track_ids, objects.classes, objects.position, objects.velocity,
                      objects.yaw, objects.size, objects.existence_probability > VISIBLE)


def ego_odometry(ego: EgoTrajectory, stamp_ns: int, frame_id: str = "map", child_frame_id: str = "base_link") -> Odometry:
    """The true ego pose and twist at a stamp inside the trajectory (twist in base_link axes)."""
    pose = ego.pose_at(stamp_ns)
    velocity_body = pose.inverse().rotate(ego.velocity_at(stamp_ns))
    return Odometry(int(stamp_ns), frame_id, child_frame_id, pose.translation, pose.rotation, np.zeros((6, 6)),
                    velocity_body, ego.angular_velocity[ego.index_at(stamp_ns)].copy(), np.zeros((6, 6)))
