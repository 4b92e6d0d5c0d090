"""Rigid transforms in SE(3): T_parent_child maps points from the child frame into the parent frame."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from fusion.core import quaternion as quat
from fusion.core.errors import InputError


@dataclass(frozen=True)
class Transform:
    """p_parent = R(rotation) @ p_child + translation; rotation is a unit quaternion (x, y, z, w)."""

    translation: np.ndarray
    rotation: np.ndarray

    def __post_init__(self) -> None:
        t = np.asarray(self.translation, dtype=float).reshape(-1)
        q = np.asarray(self.rotation, dtype=float).reshape(-1)
        if t.shape != (3,) or q.shape != (4,):
            raise InputError("transform", f"translation must have 3 values and rotation 4, got {t.shape} and {q.shape}")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(q))):
            raise InputError("transform", f"non-finite transform t={t.tolist()} q={q.tolist()}")
        object.__setattr__(self, "translation", t)
        object.__setattr__(self, "rotation", quat.normalize(q))

    @classmethod
    def _derived(cls, translation: np.ndarray, rotation: np.ndarray) -> Transform:
        """A transform computed from already-validated ones: skips the input checks (they dominate
        tf lookups on the tracker's hot path) and only renormalises the quaternion."""
        q = rotation / np.sqrt(rotation @ rotation)
        t = cls.__new__(cls)
        object.__setattr__(t, "translation", translation)
        object.__setattr__(t, "rotation", -q if q[3] < 0.0 else q)
        return t

    def read_only(self) -> Transform:
        """A copy whose arrays cannot be changed in place, for a transform handed out again and again."""
        t = Transform.__new__(Transform)
        for name in ("translation", "rotation"):
            array = getattr(self, name).copy()
            array.flags.writeable = False
            object.__setattr__(t, name, array)
        return t

    @classmethod
    def identity(cls) -> Transform:
        return cls._derived(np.zeros(3), np.array([0.0, 0.0, 0.0, 1.0]))

    @classmethod
    def from_rpy(cls, translation: np.ndarray | list[float], rpy: np.ndarray | list[float]) -> Transform:
        """From a translation and roll-pitch-yaw in radians (ROS fixed-axis XYZ convention)."""
        r, p, y = np.asarray(rpy, dtype=float)
        return cls(np.asarray(translation, dtype=float), quat.from_rpy(r, p, y))

    @classmethod
    def from_matrix(cls, matrix: np.ndarray) -> Transform:
        """From a 4x4 homogeneous matrix (or the top 3x4 rows, as KITTI calibration stores it)."""
        m = np.asarray(matrix, dtype=float)
        if m.shape not in ((4, 4), (3, 4)):
            raise InputError("transform", f"expected a 4x4 or 3x4 matrix, got shape {m.shape}")
        rot = m[:3, :3]
        if not np.allclose(rot @ rot.T, np.eye(3), atol=1e-5):
            raise InputError("transform", "rotation block of the matrix is not orthonormal")
        return cls(m[:3, 3], quat.from_matrix(rot))

    def as_matrix(self) -> np.ndarray:
        """4x4 homogeneous matrix."""
        m = np.eye(4)
        m[:3, :3] = self.rotation_matrix
        m[:3, 3] = self.translation
        return m

    @cached_property
    def rotation_matrix(self) -> np.ndarray:
        """R (3, 3), computed once per transform (read-only: a transform never changes)."""
        matrix = quat.to_matrix(self.rotation)
        matrix.flags.writeable = False
        return matrix

    @property
    def rpy(self) -> np.ndarray:
        """Roll, pitch, yaw in radians."""
        return quat.to_rpy(self.rotation)

    def inverse(self) -> Transform:
        q_inv = quat.conjugate(self.rotation)
        return Transform._derived(-quat.rotate(q_inv, self.translation), q_inv)

    def __matmul__(self, other: Transform) -> Transform:
        """Composition: (T_a_b @ T_b_c) is T_a_c."""
        return Transform._derived(
            self.translation + quat.rotate(self.rotation, other.translation),
            quat.multiply(self.rotation, other.rotation),
        )

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Map point(s) (..., 3) from the child frame into the parent frame."""
        p = np.asarray(points, dtype=float)
        return p @ self.rotation_matrix.T + self.translation

    def rotate(self, vectors: np.ndarray) -> np.ndarray:
        """Rotate free vectors (velocities, directions) (..., 3) without translating them."""
        return np.asarray(vectors, dtype=float) @ self.rotation_matrix.T

    def interpolate(self, other: Transform, fraction: float) -> Transform:
        """Linear in translation, slerp in rotation; fraction 0 gives self, 1 gives other."""
        return Transform._derived(
            (1.0 - fraction) * self.translation + fraction * other.translation,
            quat.slerp_unit(self.rotation, other.rotation, fraction),
        )

    def __repr__(self) -> str:
        t = np.round(self.translation, 4).tolist()
        rpy = np.round(np.degrees(self.rpy), 3).tolist()
        return f"Transform(t={t}, rpy_deg={rpy})"
