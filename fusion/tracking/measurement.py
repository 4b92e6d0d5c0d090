"""The interface every sensor kind's measurement model implements (sensors/<kind>/measurement_model.py).

A measurement model turns a sensor batch into measurement vectors z with noise R, predicts z from
track states (h(x) and its Jacobian H, for any motion model through its position/velocity map), and
says which tracks the sensor could have seen. It never knows the state layout itself: it composes
with MotionModel.position_velocity and its Jacobian, so every motion model works with every sensor.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from fusion.core.measurements import MeasurementBatch
from fusion.core.transform import Transform
from fusion.tracking.config import SensorTracking
from fusion.tracking.kernels import angle_periods, nonfinite_rows, wrapped_difference
from fusion.tracking.motion import MotionModel, angular_mean


class SensorPose:
    """The sensor in the tracking frame at a measurement's stamp: T_track_sensor and the velocity of
    the sensor origin in the tracking frame (zero when the tracking frame moves with the vehicle),
    given as an array or as a function computing it when first needed (only radar needs it).
    rotation (3, 3) and translation (3,) are the pose's own writable arrays (a transform's are
    read-only; the compiled kernels take writable ones)."""

    def __init__(self, transform: Transform, motion: np.ndarray | Callable[[], np.ndarray]):
        self.transform = transform
        self.motion = motion
        self.rotation = np.array(transform.rotation_matrix)
        self.translation = np.array(transform.translation)
        self._velocity: np.ndarray | None = None

    @property
    def velocity(self) -> np.ndarray:
        if self._velocity is None:
            self._velocity = np.array(self.motion() if callable(self.motion) else self.motion, dtype=float)
        return self._velocity

    def yaw_of(self, yaws: np.ndarray) -> np.ndarray:
        """Headings about the sensor frame's z turned into headings about the tracking frame's z."""
        heading = np.stack([np.cos(yaws), np.sin(yaws), np.zeros_like(yaws)], axis=-1) @ self.rotation.T
        return np.arctan2(heading[:, 1], heading[:, 0])


@dataclass
class Detections:
    """One batch in measurement space, after the unusable rows were dropped (`dropped` counts why)."""

    z: np.ndarray                     # (M, m)
    R: np.ndarray                     # (M, m, m)
    classes: np.ndarray               # (M,) ObjectClass values
    scores: np.ndarray                # (M,)
    points: np.ndarray                # (M, k) coordinates of the coarse spatial gate
    geometry: np.ndarray | None = None   # what the geometric gate compares (boxes, image boxes)
    sizes: np.ndarray | None = None      # (M, 3) box sizes (lidar), else None
    size_var: np.ndarray | None = None   # (M, 3)
    velocity: np.ndarray | None = None   # (M, 3) tracking frame, when the sensor measures it
    dropped: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.z)


@dataclass
class NewTracks:
    """What a measurement model can tell about the objects its unassigned detections start; `rows` are
    the detections the new tracks come from (one each)."""

    rows: np.ndarray           # (K,) detection rows
    position: np.ndarray       # (K, 3) tracking frame
    position_cov: np.ndarray   # (K, 3, 3)
    yaw: np.ndarray            # (K,)
    yaw_var: np.ndarray        # (K,)
    velocity: np.ndarray       # (K, 3)

    def select(self, keep: np.ndarray) -> NewTracks:
        return NewTracks(self.rows[keep], self.position[keep], self.position_cov[keep], self.yaw[keep], self.yaw_var[keep],
                         self.velocity[keep])


def usable_rows(score_floor: float, scores: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Mask of rows that are finite in every array and score at least `score_floor`, with drop counts
    (empty batches included: no reshaping by the row count)."""
    finite = np.isfinite(scores)
    for a in arrays:
        finite &= np.isfinite(a) if a.ndim == 1 else ~nonfinite_rows(np.ascontiguousarray(a, dtype=float).reshape(len(a), math.prod(a.shape[1:])))
    keep = finite & (scores >= score_floor)
    if np.count_nonzero(keep) == len(keep):
        return keep, {}
    dropped = {}
    if not finite.all():
        dropped["non_finite"] = int((~finite).sum())
    if (finite & ~keep).any():
        dropped["below_min_score"] = int((finite & ~keep).sum())
    return keep, dropped


class MeasurementModel(ABC):
    """Base class; see the module docstring. `angles` lists the components of z that are angles;
    `wrap_periods` (m,) the period each component's residual wraps at (2 pi for angles, 0: none)."""

    kind = ""
    angles: tuple[int, ...] = ()
    linear = False
    can_initiate = False
    several_returns_per_object = False   # unassigned detections inside a track's gate start no track
    gate_points_are_measured = False     # the coarse-gate points are z's first two components

    def __init__(self, name: str, settings: SensorTracking, detection_probability: float):
        """detection_probability: the vehicle config's figure; a miss counts with it times miss_evidence."""
        self.name = name
        self.settings = settings
        self.detection_probability = detection_probability * settings.miss_evidence
        self.wrap_periods = angle_periods(self.angles, self.dim)

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length m of the measurement vector z."""

    @abstractmethod
    def detections(self, batch: MeasurementBatch, pose: SensorPose) -> Detections:
        """The batch as measurement vectors with their noise, rows that cannot be used dropped (counted)."""

    @abstractmethod
    def predict(self, motion: MotionModel, x: np.ndarray, pose: SensorPose, sizes: np.ndarray) -> np.ndarray:
        """h(x): predicted measurements (..., m) of states (..., d) of tracks with box sizes (..., 3) (a
        known parameter of each track, broadcast like x without its last axis)."""

    @abstractmethod
    def jacobian(self, motion: MotionModel, x: np.ndarray, pose: SensorPose, sizes: np.ndarray) -> np.ndarray:
        """H = dh/dx (N, m, d)."""

    def predict_with_jacobian(self, motion: MotionModel, x: np.ndarray, pose: SensorPose,
                              sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """h(x) and H together (what an EKF needs); models that compute both in one pass override it."""
        return self.predict(motion, x, pose, sizes), self.jacobian(motion, x, pose, sizes)

    @abstractmethod
    def visible(self, motion: MotionModel, x: np.ndarray, sizes: np.ndarray, pose: SensorPose) -> np.ndarray:
        """Tracks (N,) the sensor could have detected (field of view and range): only they count a miss."""

    @abstractmethod
    def track_points(self, motion: MotionModel, x: np.ndarray, pose: SensorPose) -> np.ndarray:
        """Tracks in the coarse gate's coordinates (N, k), comparable with Detections.points."""

    @abstractmethod
    def track_geometry(self, motion: MotionModel, x: np.ndarray, sizes: np.ndarray, pose: SensorPose) -> np.ndarray:
        """Tracks in the geometric gate's representation, comparable with Detections.geometry."""

    def new_tracks(self, detections: Detections, rows: np.ndarray, pose: SensorPose) -> NewTracks:
        """New tracks from the unassigned detection rows (a model may merge rows into one track)."""
        raise NotImplementedError(f"{self.kind} detections cannot start tracks")

    def residual(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """a - b with the components of a period (wrap_periods > 0: angles) wrapped to [-period/2, period/2)."""
        return wrapped_difference(a, b, self.wrap_periods)

    def mean(self, sigmas: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Weighted mean of measurement sigma points (..., S, m)."""
        return angular_mean(sigmas, weights, self.angles)
