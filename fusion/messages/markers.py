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
from fusion.messages.tf import pose_fields

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
    T = types
    marker, vector, point, colour = (T("visualization_msgs/msg/Marker"), T("geometry_msgs/msg/Vector3"),
                                     T("geometry_msgs/msg/Point"), T("std_msgs/msg/ColorRGBA"))
    header = make_header(T, objects.stamp_ns, objects.frame_id)
    identity = T("geometry_msgs/msg/Pose")(position=point(x=0.0, y=0.0, z=0.0),
                                           orientation=T("geometry_msgs/msg/Quaternion")(x=0.0, y=0.0, z=0.0, w=1.0))
    markers = [marker(header=header, ns="", id=0, action=DELETEALL, pose=identity)]
    n = len(objects)
    rotations = quat.from_rpy(np.zeros(n), np.zeros(n), objects.yaw).reshape(-1, 4)
    speeds = np.linalg.norm(objects.velocity, axis=1)
    for i in range(n):
        marker_id = int(objects.track_ids[i]) % 2**31
        object_class = ObjectClass(int(objects.classes[i]))
        r, g, b = CLASS_COLOURS[object_class]
        position, orientation = pose_fields(T, objects.position[i], rotations[i], "Point")
        pose = T("geometry_msgs/msg/Pose")(position=position, orientation=orientation)
        length, width, height = (float(v) for v in objects.size[i])
        markers.append(marker(header=header, ns="objects/box", id=marker_id, type=CUBE, action=ADD, pose=pose,
                              scale=vector(x=length, y=width, z=height), color=colour(r=r, g=g, b=b, a=BOX_ALPHA)))
        label_at = objects.position[i] + [0.0, 0.0, height / 2 + LABEL_HEIGHT_M]
        label_pose = T("geometry_msgs/msg/Pose")(position=point(**dict(zip("xyz", map(float, label_at)))),
                                                 orientation=identity.orientation)
        markers.append(marker(header=header, ns="objects/label", id=marker_id, type=TEXT_VIEW_FACING, action=ADD,
                              pose=label_pose, scale=vector(x=0.0, y=0.0, z=LABEL_HEIGHT_M),
                              color=colour(r=1.0, g=1.0, b=1.0, a=1.0),
                              text=f"{int(objects.track_ids[i])} {object_class.name.lower()} {speeds[i]:.1f} m/s"))
        tip = objects.position[i] + objects.velocity[i]
        markers.append(marker(header=header, ns="objects/velocity", id=marker_id, type=ARROW, action=ADD, pose=identity,
                              scale=vector(x=0.15, y=0.3, z=0.4), color=colour(r=r, g=g, b=b, a=1.0),
                              points=[point(**dict(zip("xyz", map(float, objects.position[i])))),
                                      point(**dict(zip("xyz", map(float, tip))))]))
    return T("visualization_msgs/msg/MarkerArray")(markers=markers)
