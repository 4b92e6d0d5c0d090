"""The camera + 3D fusion stage around the tracker.

Before the 3D update: camera boxes confirm 3D detections whose projection they overlap, raising
their score (`confirm_detections`), so a weak 3D detection backed by the camera may start a track
and an unbacked one may not; each kept detection remembers its confirming camera box, which the
identity cost (fusion.camera_fusion.identity) compares with the tracks' camera boxes.

After the 3D update, each track is matched to this frame's camera boxes, by its projected box or by
its own camera box of the last frames (2D continuity, which holds while the 3D prediction drifts
through 3D misses). The camera then reaches the tracks one of two ways:
- as evidence (`observe_tracks`): a match is a hit in the track's life cycle (confirmation M of N,
  existence, misses), a visible track without a match is a miss; the kinematic state is left to the
  3D boxes. This goes through the tracker's evidence API (add_evidence_sensor, apply_evidence).
- as a measurement: the camera batch went to the tracker, whose camera model (box centre, EKF) also
  updates the state; `match_tracks` then only pairs tracks with camera boxes.
Either way camera boxes never create 3D objects, and a track's matched camera box stands for it in
the image.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np

from fusion.camera_fusion.association import iou_2d, match_image_boxes
from fusion.camera_fusion.config import CameraFusionConfig
from fusion.camera_fusion.projection import BoxProjector
from fusion.core.measurements import Boxes3D, CameraDetections
from fusion.core.objects import ObjectList
from fusion.core.transform import Transform
from fusion.tracking.tracker import MultiObjectTracker
from sensors.camera.pinhole import PinholeCamera


@dataclass
class TrackMatches:
    """Tracks seen through the camera: projected boxes (N, 4), visible mask (N,), the rows a camera
    box matched with those boxes (K, 4), and rows whose identity a new track inherited."""

    projected: np.ndarray
    visible: np.ndarray
    rows: np.ndarray
    boxes: np.ndarray
    retired: np.ndarray


class CameraFusion:
    """`T_camera_frame` maps points of the 3D boxes' frame into the camera's optical frame."""

    def __init__(self, config: CameraFusionConfig, camera: PinholeCamera, T_camera_frame: Transform):
        self.config = config
        self.project = BoxProjector(camera, T_camera_frame)
        self.memory_ns = round(config.memory_s * 1e9)
        self.reid_memory_ns = round(config.reid_memory_s * 1e9)
        self._memory_ids = np.zeros(0, dtype=np.int64)     # track id -> its last matched camera box, sorted by id
        self._memory_boxes = np.zeros((0, 4))
        self._memory_stamps = np.zeros(0, dtype=np.int64)
        self.detection_boxes = np.zeros((0, 4))           # camera box (NaN: none) per row of the last confirmed batch
        self.stamp_ns = 0
        self._reported: dict[int, int] = {}               # track id -> the id it is reported under, where inherited

    def usable(self, detections: CameraDetections) -> CameraDetections:
        """The camera boxes scoring at least min_camera_score."""
        keep = detections.scores >= self.config.min_camera_score
        if keep.all():
            return detections
        return replace(detections, boxes=detections.boxes[keep], classes=detections.classes[keep], scores=detections.scores[keep])

    def remembered(self, track_ids: np.ndarray, stamp_ns: int, max_age_ns: int | None = None) -> np.ndarray:
        """The tracks' camera boxes of the last memory_s (or max_age_ns) (K, 4); NaN rows where there is none."""
        at, found = self._find(track_ids)
        return self._recall(at, found, stamp_ns, self.memory_ns if max_age_ns is None else max_age_ns)

    def _find(self, track_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per track id, its row in the memory and whether it has one."""
        if len(self._memory_ids) == 0 or len(track_ids) == 0:
            return np.zeros(len(track_ids), dtype=np.int64), np.zeros(len(track_ids), dtype=bool)
        at = np.minimum(np.searchsorted(self._memory_ids, track_ids), len(self._memory_ids) - 1)
        return at, self._memory_ids[at] == track_ids

    def _recall(self, at: np.ndarray, found: np.ndarray, stamp_ns: int, max_age_ns: int) -> np.ndarray:
        """The remembered boxes (K, 4) at memory rows `at` where `found` and at most max_age_ns old; NaN elsewhere."""
        boxes = np.full((len(at), 4), np.nan)
        if found.any():
            known = found & (stamp_ns - self._memory_stamps[at] <= max_age_ns)
            boxes[known] = self._memory_boxes[at[known]]
        return boxes

    def confirm_detections(self, boxes: Boxes3D, detections: CameraDetections, min_score: float) -> Boxes3D:
        """The 3D detections scoring at least min_score once camera confirmation has raised their
        score; `detection_boxes` then holds each kept row's confirming camera box (NaN: none)."""
        self.stamp_ns = boxes.stamp_ns
        camera_box = np.full((len(boxes), 4), np.nan)
        scores = boxes.scores.copy()
        if len(boxes) and len(detections):
            projected, visible = self.project(boxes.centers, boxes.sizes, boxes.yaws)
            allowed = visible[:, None] & (boxes.classes[:, None] == detections.classes[None, :])
            rows, cols, _ = match_image_boxes(iou_2d(projected, detections.boxes), allowed, self.config.detection_min_iou)
            scores[rows] += self.config.confirmed_score_bonus * detections.scores[cols]
            camera_box[rows] = detections.boxes[cols]
        keep = scores >= min_score
        self.detection_boxes = camera_box[keep]
        kept = copy.copy(boxes)  # rows of an already validated batch: no need to validate again
        if keep.all():
            kept.scores = scores
            return kept
        kept.centers, kept.sizes, kept.yaws = boxes.centers[keep], boxes.sizes[keep], boxes.yaws[keep]
        kept.classes, kept.scores = boxes.classes[keep], scores[keep]
        if boxes.velocities is not None:
            kept.velocities = boxes.velocities[keep]
        return kept

    def match_tracks(self, objects: ObjectList, detections: CameraDetections) -> TrackMatches:
        """Pair tracks with this frame's camera boxes (by projected or remembered box) and remember
        the matched boxes; tracks no longer in `objects` are forgotten."""
        projected, visible = self.project(objects.position, objects.size, objects.yaw)
        stamp, n = detections.stamp_ns, len(objects)
        at, found = self._find(objects.track_ids)
        remembered = self._recall(at, found, stamp, self.memory_ns)
        seen = visible | np.isfinite(remembered[:, 0])
        rows = cols = np.zeros(0, dtype=np.int64)
        if len(detections) and seen.any():
            both = iou_2d(np.concatenate([projected, remembered]), detections.boxes)
            allowed = seen[:, None] & (objects.classes[:, None] == detections.classes[None, :])
            rows, cols, _ = match_image_boxes(np.maximum(both[:n], both[n:]), allowed, self.config.track_min_iou)
        matched = detections.boxes[cols]
        matched_now = np.zeros(n, dtype=bool)
        matched_now[rows] = True
        retired = self._inherit_identities(objects, at, found, stamp, matched_now, matched, rows)
        carried = found & ~matched_now    # remembered tracks without a camera box this frame keep their last one
        ids = np.concatenate([objects.track_ids[carried], objects.track_ids[rows]])
        order = np.argsort(ids)
        self._memory_ids = ids[order]
        self._memory_boxes = np.concatenate([self._memory_boxes[at[carried]], matched])[order]
        self._memory_stamps = np.concatenate([self._memory_stamps[at[carried]], np.full(len(rows), stamp, dtype=np.int64)])[order]
        return TrackMatches(projected, seen, rows, matched, retired)

    def _inherit_identities(self, objects: ObjectList, at: np.ndarray, found: np.ndarray, stamp_ns: int,
                            matched_now: np.ndarray, matched: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """A track started this frame whose camera box continues (by reid_iou) the last camera box
        (of the last reid_memory_s) of an older track left unmatched is that object found again after
        its 3D state drifted away or it was hidden: it is reported under the older track's id, and the
        older track is retired (returned). `at`/`found`: the tracks' memory rows (before this frame)."""
        none = np.zeros(0, dtype=np.int64)
        if self.config.reid_iou >= 1.0 or len(rows) == 0:
            return none
        fresh = objects.age_s[rows] == 0.0
        unmatched = np.flatnonzero(~matched_now & found)   # only tracks with a remembered box can be continued
        if not fresh.any() or len(unmatched) == 0:
            return none
        last_seen = self._recall(at[unmatched], found[unmatched], stamp_ns, self.reid_memory_ns)
        overlap = iou_2d(last_seen, matched[fresh])
        overlap[objects.classes[unmatched][:, None] != objects.classes[rows[fresh]][None, :]] = 0.0
        old, new, _ = match_image_boxes(overlap, overlap >= self.config.reid_iou, self.config.reid_iou)
        for i, j in zip(objects.track_ids[unmatched[old]].tolist(), objects.track_ids[rows[fresh][new]].tolist()):
            self._reported[j] = self._reported.get(i, i)
        return unmatched[old]

    def reported_ids(self, track_ids: np.ndarray) -> np.ndarray:
        """The ids tracks are reported under (their own, or one inherited by _inherit_identities)."""
        if not self._reported:
            return track_ids
        return np.array([self._reported.get(i, i) for i in track_ids.tolist()], dtype=np.int64)

    @staticmethod
    def retire(tracker: MultiObjectTracker, matches: TrackMatches) -> None:
        """End the tracks whose identity passed on (the tracker deletes them at its next update)."""
        if len(matches.retired):
            tracker.retire(matches.retired)

    def observe_tracks(self, tracker: MultiObjectTracker, detections: CameraDetections, detection_probability: float,
                       hit_likelihood_ratio: float) -> tuple[ObjectList, TrackMatches]:
        """Camera evidence on every track (tentative ones included) at the detections' stamp: matched
        tracks are hit, seen but unmatched ones missed (the tracker's evidence API, under the camera's
        sensor id). Returns the tracks (rows as in tracker.tracks) and their matches."""
        tracker.add_evidence_sensor(detections.sensor_id)
        objects = tracker.object_list(detections.stamp_ns, include_tentative=True)
        matches = self.match_tracks(objects, detections)
        tracker.apply_evidence(detections.sensor_id, matches.visible, matches.rows, detections.stamp_ns,
                               detection_probability, hit_likelihood_ratio)
        return objects, matches
