"""ObjectList -> visualization_msgs/MarkerArray for RViz and Foxglove: a translucent box per object
coloured by class, a label (track id, class, speed) and a velocity arrow. Each array starts with a
DELETEALL marker, so objects that are gone disappear without lifetimes."""
from __future__ import annotations

from typing import Any

import numpy as np

from fusion.core import quaternion as quat
from fusion.core.classes import ObjectClass
from fusion.core.objects import ObjectList
from fusion.messages.header import MessageTypes, make_header

ARROW, CUBE, TEXT_VIEW_FACING = 0, 1, 9       # Marker.type
ADD, DELETEALL = 0, 3                         # Marker.action
BOX_ALPHA = 0.45
LABEL_HEIGHT_M = 0.6

CLASS_COLOURS = {   # RGB per class, colour-blind friendly (Okabe-Ito)
    ObjectClass.UNKNOWN: (0.6, 0.6, 0.6), ObjectClass.CAR: (0.0, 0.45, 0.7), ObjectClass.TRUCK: (0.8, 0.4, 0.0),
    ObjectClass.BUS: (0.9, 0.6, 0.0), ObjectClass.TRAILER: (0.95, 0.9, 0.25), ObjectClass.MOTORCYCLE: (0.8, 0.6, 0.7),
    ObjectClass.BICYCLE: (0.0, 0.6, 0.5), ObjectClass.PEDESTRIAN: (0.35, 0.7, 0.9),
}


def from_object_list(types: MessageTypes, objects: ObjectList) -> Any:
    """The markers of every object; values become Python numbers once (tolist), and what objects
    share (header, identity pose, colours per class) is one message each."""
    T = types
    marker, vector, point, colour, pose_t = (T("visualization_msgs/msg/Marker"), T("geometry_msgs/msg/Vector3"),
                                             T("geometry_msgs/msg/Point"), T("std_msgs/msg/ColorRGBA"), T("geometry_msgs/msg/Pose"))
    header = make_header(T, objects.stamp_ns, objects.frame_id)
    quaternion = T("geometry_msgs/msg/Quaternion")
    upright = quaternion(x=0.0, y=0.0, z=0.0, w=1.0)
    identity = pose_t(position=point(x=0.0, y=0.0, z=0.0), orientation=upright)
    box_colours = {c: colour(r=r, g=g, b=b, a=BOX_ALPHA) for c, (r, g, b) in CLASS_COLOURS.items()}
    arrow_colours = {c: colour(r=r, g=g, b=b, a=1.0) for c, (r, g, b) in CLASS_COLOURS.items()}
    white = colour(r=1.0, g=1.0, b=1.0, a=1.0)
    label_scale, arrow_scale = vector(x=0.0, y=0.0, z=LABEL_HEIGHT_M), vector(x=0.15, y=0.3, z=0.4)
    n = len(objects)
    rotations = quat.from_rpy(np.zeros(n), np.zeros(n), objects.yaw).reshape(-1, 4)
    tips = objects.position + objects.velocity
    table = np.column_stack([objects.position, rotations, objects.size, tips, np.linalg.norm(objects.velocity, axis=1)]).tolist()
    markers = [marker(header=header, ns="", id=0, action=DELETEALL, pose=identity)]
    for track_id, object_class, row in zip(objects.track_ids.tolist(), objects.classes.tolist(), table):
        x, y, z, qx, qy, qz, qw, length, width, height, tx, ty, tz, speed = row
        marker_id, object_class = track_id % 2**31, ObjectClass(object_class)
        pose = pose_t(position=point(x=x, y=y, z=z), orientation=quaternion(x=qx, y=qy, z=qz, w=qw))
        label_pose = pose_t(position=point(x=x, y=y, z=z + height / 2 + LABEL_HEIGHT_M), orientation=upright)
        markers += [
            marker(header=header, ns="objects/box", id=marker_id, type=CUBE, action=ADD, pose=pose,
                   scale=vector(x=length, y=width, z=height), color=box_colours[object_class]),
            marker(header=header, ns="objects/label", id=marker_id, type=TEXT_VIEW_FACING, action=ADD, pose=label_pose,
                   scale=label_scale, color=white, text=f"{track_id} {object_class.name.lower()} {speed:.1f} m/s"),
            marker(header=header, ns="objects/velocity", id=marker_id, type=ARROW, action=ADD, pose=identity, scale=arrow_scale,
                   color=arrow_colours[object_class], points=[point(x=x, y=y, z=z), point(x=tx, y=ty, z=tz)])]
    return T("visualization_msgs/msg/MarkerArray")(markers=markers)
