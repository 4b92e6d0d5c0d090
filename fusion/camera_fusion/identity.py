"""An association cost for 3D detections that lets the camera vouch for identity.

The tracker gates (track, 3D detection) pairs by Mahalanobis distance. Far away, or after a few
missed frames, a correct pair can fall outside that gate and the object restarts under a new id,
although the camera followed it all along. Here a pair whose camera boxes overlap (the box the
track was matched to in the last frames, the box confirming the detection) may associate up to a
wider gate, while any other pair is held to the tracker's own gate; pairs whose camera boxes do not
overlap at all can be vetoed. Plugged in through MultiObjectTracker(costs={"lidar": ...}), with the
tracker's pre-gate widened to the wider gate.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from fusion.camera_fusion.config import CameraFusionConfig
from fusion.camera_fusion.stage import CameraFusion
from fusion.tracking.association import Candidates, chi_square_gate
from fusion.tracking.geometry import pairwise_iou_2d

STATE_DIM = 4  # the lidar box measurement: x, y, z, yaw


class CameraIdentityCost:
    """Squared Mahalanobis distance, rescaled so that pairs without camera support are accepted only
    inside `plain_gate_probability`'s gate and camera-consistent pairs inside the wider one."""

    def __init__(self, fusion: CameraFusion, config: CameraFusionConfig, plain_gate_probability: float,
                 track_ids: Callable[[np.ndarray], np.ndarray]):
        self.fusion = fusion
        self.config = config
        self.track_ids = track_ids
        self.unassigned_cost = chi_square_gate(config.identity_gate_probability, STATE_DIM)
        self.plain_scale = self.unassigned_cost / chi_square_gate(plain_gate_probability, STATE_DIM)

    def __call__(self, pairs: Candidates) -> np.ndarray:
        track_boxes = self.fusion.remembered(self.track_ids(pairs.tracks), self.fusion.stamp_ns)
        detection_boxes = self.fusion.detection_boxes[pairs.detections]
        both = np.isfinite(track_boxes[:, 0]) & np.isfinite(detection_boxes[:, 0])
        overlap = np.zeros(len(both))
        overlap[both] = pairwise_iou_2d(track_boxes[both], detection_boxes[both])
        consistent = both & (overlap >= self.config.identity_iou)
        cost = np.where(consistent, pairs.mahalanobis2, pairs.mahalanobis2 * self.plain_scale)
        cost[both & (overlap < self.config.identity_veto_iou)] = np.inf
        return cost
