"""Vectorised unit-quaternion maths, ROS order (x, y, z, w).

Hand-written on numpy rather than scipy's Rotation because filters call these per sample on small
arrays, where constructing Rotation objects costs more than the maths; tests check every function
against scipy.spatial.transform.
"""
from __future__ import annotations

import math

import numpy as np

from fusion.core.errors import InputError


def normalize(q: np.ndarray) -> np.ndarray:
    """Unit quaternion(s) with w >= 0 (one canonical sign)."""
    q = np.asarray(q, dtype=float)
    if _single(q) and len(q) == 4:
        x, y, z, w = q.tolist()
        norm = math.sqrt(x * x + y * y + z * z + w * w)
        if not (norm >= 1e-12 and math.isfinite(norm)):
            raise InputError("quaternion", f"cannot normalise a zero or non-finite quaternion {q.tolist()}")
        q = np.array([x / norm, y / norm, z / norm, w / norm])
        return -q if q[3] < 0.0 else q
    norm = np.linalg.norm(q, axis=-1, keepdims=True)
    if np.any(norm < 1e-12) or not np.all(np.isfinite(q)):
        raise InputError("quaternion", f"cannot normalise a zero or non-finite quaternion {q.tolist()}")
    q = q / norm
    return np.where(q[..., 3:4] < 0.0, -q, q)


def _product(ax, ay, az, aw, bx, by, bz, bw):
    """Hamilton product by components (numpy arrays, or plain floats for one quaternion each)."""
    return (aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz)


def _single(*arrays: np.ndarray) -> bool:
    """One quaternion / vector each: then plain floats (the same IEEE arithmetic; the math module's
    sine and arccosine may differ from numpy's in the last bit) skip numpy's per-operation overhead,
    which dominates calls on one quaternion."""
    return all(a.ndim == 1 for a in arrays)


def multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a * b (apply b first, then a)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if _single(a, b):
        return np.array(_product(*a.tolist(), *b.tolist()))
    return np.stack(_product(*np.moveaxis(a, -1, 0), *np.moveaxis(b, -1, 0)), axis=-1)


def conjugate(q: np.ndarray) -> np.ndarray:
    """Inverse of a unit quaternion."""
    q = np.asarray(q, dtype=float)
    return np.concatenate([-q[..., :3], q[..., 3:]], axis=-1)


def _matrix(x, y, z, w):
    """Rotation matrix entries, row by row, by components."""
    xx, yy, zz = x * x, y * y, z * z
    xy, xz, yz, wx, wy, wz = x * y, x * z, y * z, w * x, w * y, w * z
    return (1 - 2 * (yy + zz), 2 * (xy - wz), 2 * (xz + wy),
            2 * (xy + wz), 1 - 2 * (xx + zz), 2 * (yz - wx),
            2 * (xz - wy), 2 * (yz + wx), 1 - 2 * (xx + yy))


def to_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrix (..., 3, 3) of unit quaternion(s)."""
    q = np.asarray(q, dtype=float)
    if _single(q):
        return np.array(_matrix(*q.tolist())).reshape(3, 3)
    m = np.stack(_matrix(*np.moveaxis(q, -1, 0)), axis=-1)
    return m.reshape(m.shape[:-1] + (3, 3))


def from_matrix(m: np.ndarray) -> np.ndarray:
    """Unit quaternion(s) of rotation matrices (..., 3, 3), numerically stable for all angles."""
    m = np.asarray(m, dtype=float)
    trace = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    # Candidate 4*q_i^2 for each component; build from the largest for stability.
    cands = np.stack(
        [
            1 + 2 * m[..., 0, 0] - trace,
            1 + 2 * m[..., 1, 1] - trace,
            1 + 2 * m[..., 2, 2] - trace,
            1 + trace,
        ],
        axis=-1,
    )
    best = np.argmax(cands, axis=-1)
    s = np.sqrt(np.maximum(np.take_along_axis(cands, best[..., None], axis=-1)[..., 0], 1e-300))
    q = np.empty(m.shape[:-2] + (4,))
    # Off-diagonal sums/differences give the other components relative to the largest one.
    d21, d02, d10 = m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]
    s01, s02, s12 = m[..., 0, 1] + m[..., 1, 0], m[..., 0, 2] + m[..., 2, 0], m[..., 1, 2] + m[..., 2, 1]
    rows = {
        0: (s, s01 / s, s02 / s, d21 / s),
        1: (s01 / s, s, s12 / s, d02 / s),
        2: (s02 / s, s12 / s, s, d10 / s),
        3: (d21 / s, d02 / s, d10 / s, s),
    }
    for k, comps in rows.items():
        mask = best == k
        q[mask] = np.stack([np.broadcast_to(c, best.shape)[mask] for c in comps], axis=-1)
    return normalize(q * 0.5)


def _rotated(qx, qy, qz, qw, vx, vy, vz):
    """v rotated by unit q, by components: v + w t + u x t with t = 2 u x v (u, w: q's vector and scalar parts)."""
    tx, ty, tz = 2.0 * (qy * vz - qz * vy), 2.0 * (qz * vx - qx * vz), 2.0 * (qx * vy - qy * vx)
    return (vx + qw * tx + (qy * tz - qz * ty),
            vy + qw * ty + (qz * tx - qx * tz),
            vz + qw * tz + (qx * ty - qy * tx))


def rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vector(s) v (..., 3) by unit quaternion(s) q."""
    q = np.asarray(q, dtype=float)
    v = np.asarray(v, dtype=float)
    if _single(q, v):
        return np.array(_rotated(*q.tolist(), *v.tolist()))
    return np.stack(_rotated(*np.moveaxis(q, -1, 0), *np.moveaxis(v, -1, 0)), axis=-1)


def from_rotvec(rv: np.ndarray) -> np.ndarray:
    """Quaternion(s) of rotation vector(s) (axis * angle, radians)."""
    rv = np.asarray(rv, dtype=float)
    angle = np.linalg.norm(rv, axis=-1, keepdims=True)
    half = 0.5 * angle
    # sin(a/2)/a, with its Taylor series near zero.
    scale = np.where(angle > 1e-8, np.sin(half) / np.where(angle > 1e-8, angle, 1.0), 0.5 - angle**2 / 48.0)
    return np.concatenate([rv * scale, np.cos(half)], axis=-1)


def to_rotvec(q: np.ndarray) -> np.ndarray:
    """Rotation vector(s) (axis * angle in [0, pi]) of unit quaternion(s)."""
    q = normalize(q)
    u, w = q[..., :3], q[..., 3:4]
    sin_half = np.linalg.norm(u, axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(sin_half, w)
    scale = np.where(sin_half > 1e-12, angle / np.where(sin_half > 1e-12, sin_half, 1.0), 2.0 / w)
    return u * scale


def from_rpy(roll: np.ndarray, pitch: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Quaternion(s) of roll-pitch-yaw (R = Rz(yaw) Ry(pitch) Rx(roll), as ROS tf does)."""
    cr, sr = np.cos(np.multiply(roll, 0.5)), np.sin(np.multiply(roll, 0.5))
    cp, sp = np.cos(np.multiply(pitch, 0.5)), np.sin(np.multiply(pitch, 0.5))
    cy, sy = np.cos(np.multiply(yaw, 0.5)), np.sin(np.multiply(yaw, 0.5))
    return np.stack(
        [
            sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy,
            cr * cp * cy + sr * sp * sy,
        ],
        axis=-1,
    )


def to_rpy(q: np.ndarray) -> np.ndarray:
    """Roll, pitch, yaw (..., 3) of quaternion(s), inverse of from_rpy (pitch in [-pi/2, pi/2])."""
    x, y, z, w = np.moveaxis(normalize(q), -1, 0)
    roll = np.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    pitch = np.arcsin(np.clip(2 * (w * y - z * x), -1.0, 1.0))
    yaw = np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return np.stack([roll, pitch, yaw], axis=-1)


def to_yaw(q: np.ndarray) -> np.ndarray:
    """Yaw (...) of quaternion(s): to_rpy's yaw, bit for bit, for callers that need only the heading
    (roll and pitch cost most of to_rpy)."""
    x, y, z, w = np.moveaxis(normalize(q), -1, 0)
    return np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))


def slerp(q0: np.ndarray, q1: np.ndarray, fraction: float | np.ndarray) -> np.ndarray:
    """Spherical linear interpolation along the shorter arc; fraction 0 gives q0, 1 gives q1."""
    return normalize(slerp_unit(normalize(q0), normalize(q1), fraction))


def slerp_unit(q0: np.ndarray, q1: np.ndarray, fraction: float | np.ndarray) -> np.ndarray:
    """slerp of quaternions already of unit length, not renormalised (unit up to rounding; slerp
    renormalises)."""
    q0, q1 = np.asarray(q0, dtype=float), np.asarray(q1, dtype=float)
    if _single(q0, q1) and np.ndim(fraction) == 0:
        a, b, f = q0.tolist(), q1.tolist(), float(fraction)
        dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]
        theta = math.acos(min(abs(dot), 1.0))
        sin_theta = math.sin(theta)
        w0, w1 = (1.0 - f, f) if sin_theta < 1e-9 else (math.sin((1.0 - f) * theta) / sin_theta, math.sin(f * theta) / sin_theta)
        w1 = -w1 if dot < 0.0 else w1       # the shorter arc
        return np.array([w0 * p + w1 * q for p, q in zip(a, b)])
    dot = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(dot < 0.0, -q1, q1)
    dot = np.abs(dot)
    f = np.asarray(fraction, dtype=float)[..., None] if np.ndim(fraction) else float(fraction)
    theta = np.arccos(np.clip(dot, -1.0, 1.0))
    sin_theta = np.sin(theta)
    near = sin_theta < 1e-9
    safe = np.where(near, 1.0, sin_theta)
    w0 = np.where(near, 1.0 - f, np.sin((1.0 - f) * theta) / safe)
    w1 = np.where(near, f, np.sin(f * theta) / safe)
    return w0 * q0 + w1 * q1


def wrap_angle(angle: np.ndarray | float) -> np.ndarray | float:
    """Wrap angle(s) to [-pi, pi)."""
    return (np.asarray(angle) + np.pi) % (2.0 * np.pi) - np.pi
