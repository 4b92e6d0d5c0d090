"""Rigid transforms in SE(3): T_parent_child maps points from the child frame into the parent frame."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numba import types

from fusion.core import quaternion as quat
from fusion.core.compiled import compiled, readonly_vector, vector
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
        finite, unit = _checked_unit(t, q)
        if not finite:
            raise InputError("transform", f"non-finite transform t={t.tolist()} q={q.tolist()}")
        if unit is None:
            raise InputError("quaternion", f"cannot normalise a zero quaternion {q.tolist()}")
        object.__setattr__(self, "translation", t)
        object.__setattr__(self, "rotation", unit)

    @classmethod
    def _derived(cls, translation: np.ndarray, rotation: np.ndarray) -> Transform:
        """A transform computed by the kernels below from already-validated ones (translation, unit
        quaternion with w >= 0): skips the input checks, which would dominate tf lookups on the
        tracker's hot path."""
        t = cls.__new__(cls)
        object.__setattr__(t, "translation", translation)
        object.__setattr__(t, "rotation", rotation)
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
        matrix = _rotation_matrix(self.rotation)
        matrix.flags.writeable = False
        return matrix

    @property
    def rpy(self) -> np.ndarray:
        """Roll, pitch, yaw in radians."""
        return quat.to_rpy(self.rotation)

    def inverse(self) -> Transform:
        return Transform._derived(*_inverse(self.translation, self.rotation))

    def __matmul__(self, other: Transform) -> Transform:
        """Composition: (T_a_b @ T_b_c) is T_a_c."""
        return Transform._derived(*_compose(self.translation, self.rotation, other.translation, other.rotation))

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Map point(s) (..., 3) from the child frame into the parent frame."""
        p = np.asarray(points, dtype=float)
        return p @ self.rotation_matrix.T + self.translation

    def rotate(self, vectors: np.ndarray) -> np.ndarray:
        """Rotate free vectors (velocities, directions) (..., 3) without translating them."""
        return np.asarray(vectors, dtype=float) @ self.rotation_matrix.T

    def interpolate(self, other: Transform, fraction: float) -> Transform:
        """Linear in translation, slerp in rotation; fraction 0 gives self, 1 gives other."""
        return Transform._derived(*_interpolate(self.translation, self.rotation, other.translation, other.rotation,
                                                float(fraction)))

    def __repr__(self) -> str:
        t = np.round(self.translation, 4).tolist()
        rpy = np.round(np.degrees(self.rpy), 3).tolist()
        return f"Transform(t={t}, rpy_deg={rpy})"


# Single-transform kernels: one compiled call instead of a dozen numpy operations on 3- and
# 4-vectors (tf lookups sit on the tracker's per-measurement path). They take read-only arrays
# (writable ones and any strides convert), so the transforms the tree hands out again and again
# stay read-only, and follow the formulas of fusion.core.quaternion (tests check them against it).
_VECTOR_PAIR = types.Tuple((vector, vector))


@compiled
def _unit(q):
    """q normalised, with w >= 0 (the canonical sign)."""
    norm = np.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3])
    sign = -1.0 if q[3] < 0.0 else 1.0
    for i in range(4):
        q[i] = sign * (q[i] / norm)
    return q


@compiled
def _rotate_into(q, v, offset, sign, out):
    """out = offset + sign * (v rotated by unit q): v + w t + u x t with t = 2 u x v."""
    tx, ty, tz = 2.0 * (q[1] * v[2] - q[2] * v[1]), 2.0 * (q[2] * v[0] - q[0] * v[2]), 2.0 * (q[0] * v[1] - q[1] * v[0])
    out[0] = offset[0] + sign * (v[0] + q[3] * tx + (q[1] * tz - q[2] * ty))
    out[1] = offset[1] + sign * (v[1] + q[3] * ty + (q[2] * tx - q[0] * tz))
    out[2] = offset[2] + sign * (v[2] + q[3] * tz + (q[0] * ty - q[1] * tx))


@compiled(types.Tuple((types.boolean, types.Optional(vector)))(readonly_vector, readonly_vector))
def _checked_unit(t, q):
    """(whether t and q are finite, q normalised with w >= 0, or None when q is too short to normalise)."""
    for v in (t[0], t[1], t[2], q[0], q[1], q[2], q[3]):
        if not np.isfinite(v):
            return False, None
    if not np.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]) >= 1e-12:
        return True, None
    return True, _unit(q.copy())


@compiled(_VECTOR_PAIR(readonly_vector, readonly_vector, readonly_vector, readonly_vector))
def _compose(ta, qa, tb, qb):
    """T_a @ T_b: (ta + qa rotating tb, qa * qb normalised)."""
    t = np.empty(3)
    _rotate_into(qa, tb, ta, 1.0, t)
    q = np.empty(4)
    q[0] = qa[3] * qb[0] + qa[0] * qb[3] + qa[1] * qb[2] - qa[2] * qb[1]
    q[1] = qa[3] * qb[1] - qa[0] * qb[2] + qa[1] * qb[3] + qa[2] * qb[0]
    q[2] = qa[3] * qb[2] + qa[0] * qb[1] - qa[1] * qb[0] + qa[2] * qb[3]
    q[3] = qa[3] * qb[3] - qa[0] * qb[0] - qa[1] * qb[1] - qa[2] * qb[2]
    return t, _unit(q)


@compiled(_VECTOR_PAIR(readonly_vector, readonly_vector))
def _inverse(t, q):
    """T^-1: (-(q^-1 rotating t), q^-1)."""
    q_inv = np.array([-q[0], -q[1], -q[2], q[3]])
    out = np.empty(3)
    _rotate_into(q_inv, t, np.zeros(3), -1.0, out)
    return out, _unit(q_inv)


@compiled(_VECTOR_PAIR(readonly_vector, readonly_vector, readonly_vector, readonly_vector, types.float64))
def _interpolate(t0, q0, t1, q1, f):
    """Linear in translation, slerp (shorter arc) in rotation, renormalised."""
    t = np.empty(3)
    for i in range(3):
        t[i] = (1.0 - f) * t0[i] + f * t1[i]
    dot = q0[0] * q1[0] + q0[1] * q1[1] + q0[2] * q1[2] + q0[3] * q1[3]
    theta = np.arccos(min(abs(dot), 1.0))
    sin_theta = np.sin(theta)
    if sin_theta < 1e-9:
        w0, w1 = 1.0 - f, f
    else:
        w0, w1 = np.sin((1.0 - f) * theta) / sin_theta, np.sin(f * theta) / sin_theta
    if dot < 0.0:
        w1 = -w1
    q = np.empty(4)
    for i in range(4):
        q[i] = w0 * q0[i] + w1 * q1[i]
    return t, _unit(q)


@compiled(types.Array(types.float64, 2, "C")(readonly_vector))
def _rotation_matrix(q):
    x, y, z, w = q[0], q[1], q[2], q[3]
    xx, yy, zz = x * x, y * y, z * z
    xy, xz, yz, wx, wy, wz = x * y, x * z, y * z, w * x, w * y, w * z
    m = np.empty((3, 3))
    m[0, 0], m[0, 1], m[0, 2] = 1 - 2 * (yy + zz), 2 * (xy - wz), 2 * (xz + wy)
    m[1, 0], m[1, 1], m[1, 2] = 2 * (xy + wz), 1 - 2 * (xx + zz), 2 * (yz - wx)
    m[2, 0], m[2, 1], m[2, 2] = 2 * (xz - wy), 2 * (yz + wx), 1 - 2 * (xx + yy)
    return m
