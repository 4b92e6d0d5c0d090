"""The camera + 3D fusion stage around the tracker.

Before the 3D update: camera boxes confirm 3D detections whose projection they overlap, raising
their score (`CameraFusion.confirm_detections`), so a weak lidar detection backed by the camera may
start a track and an unbacked one may not.

After the 3D update, the camera reaches the tracks one of two ways:
- as evidence (`CameraFusion.observe_tracks`): each track's projected box is matched to this
  frame's camera boxes; a match is a hit in the track's life cycle (confirmation M of N, existence,
  misses), a visible track without a match is a miss. The kinematic state is left to the 3D boxes.
  This is the tracker's TrackLifecycle.observe applied from outside, over its public track table.
- as a measurement: the camera batch goes to the tracker, whose camera model (box centre, EKF)
  updates the state as well; `match_tracks` then only picks each track's image box.
Either way camera boxes never create 3D objects, and the matched camera box stands for the track
in the image.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from fusion.camera_fusion.association import match_image_boxes
from fusion.camera_fusion.config import CameraFusionConfig
from fusion.camera_fusion.projection import project_boxes_3d
from fusion.core.measurements import Boxes3D, CameraDetections
from fusion.core.objects import ObjectList
from fusion.core.transform import Transform
from fusion.tracking.tracker import MultiObjectTracker
from sensors.camera.pinhole import PinholeCamera


class CameraFusion:
    """`T_camera_frame` maps points of the 3D boxes' frame into the camera's optical frame."""

    def __init__(self, config: CameraFusionConfig, camera: PinholeCamera, T_camera_frame: Transform):
        self.config = config
        self.camera = camera
        self.T_camera_frame = T_camera_frame

    def usable(self, detections: CameraDetections) -> CameraDetections:
        """The camera boxes scoring at least min_camera_score."""
        keep = detections.scores >= self.config.min_camera_score
        if keep.all():
            return detections
        return replace(detections, boxes=detections.boxes[keep], classes=detections.classes[keep], scores=detections.scores[keep])

    def confirm_detections(self, boxes: Boxes3D, detections: CameraDetections) -> tuple[Boxes3D, np.ndarray]:
        """3D detections with camera-confirmed scores raised, and the mask of confirmed ones."""
        confirmed = np.zeros(len(boxes), dtype=bool)
        if len(boxes) == 0 or len(detections) == 0:
            return boxes, confirmed
        projected, visible = project_boxes_3d(self.camera, self.T_camera_frame, boxes.centers, boxes.sizes, boxes.yaws)
        rows, cols, _ = match_image_boxes(projected, boxes.classes, visible, detections.boxes, detections.classes,
                                          self.config.detection_min_iou)
        confirmed[rows] = True
        if self.config.confirmed_score_bonus == 0.0:
            return boxes, confirmed
        scores = boxes.scores.copy()
        scores[rows] += self.config.confirmed_score_bonus * detections.scores[cols]
        return replace(boxes, scores=scores), confirmed

    def match_tracks(self, objects: ObjectList, detections: CameraDetections) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows of `objects` matched to a camera box this frame, those boxes (K, 4), and the mask of
        objects the camera could see (in front, inside the image)."""
        projected, visible = project_boxes_3d(self.camera, self.T_camera_frame, objects.position, objects.size, objects.yaw)
        rows, cols, _ = match_image_boxes(projected, objects.classes, visible, detections.boxes, detections.classes,
                                          self.config.track_min_iou)
        return rows, detections.boxes[cols], visible

    def observe_tracks(self, tracker: MultiObjectTracker, detections: CameraDetections, detection_probability: float,
                       hit_likelihood_ratio: float) -> tuple[ObjectList, np.ndarray, np.ndarray]:
        """Camera evidence on every track (tentative ones included) at the detections' stamp: matched
        tracks are hit, visible unmatched ones missed. Returns the tracks (rows as in tracker.tracks),
        the matched rows and their camera boxes."""
        objects = tracker.object_list(detections.stamp_ns, include_tentative=True)
        rows, boxes, visible = self.match_tracks(objects, detections)
        life = tracker.lifecycle
        life.observe(tracker.tracks, visible, rows, detection_probability, hit_likelihood_ratio,
                     len(tracker.sensor_names), detections.stamp_ns)
        life.update_status(tracker.tracks)
        return objects, rows, boxes
