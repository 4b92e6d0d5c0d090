"""Pinhole camera with optional plumb_bob (Brown-Conrady) distortion, as sensor_msgs/CameraInfo describes.

Points are in the camera optical frame (z forward, x right, y down); pixels are (u, v) with the
origin at the top-left pixel corner's centre convention of CameraInfo's K matrix.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from fusion.core.compiled import compiled
from fusion.core.errors import InputError


@dataclass(frozen=True)
class PinholeCamera:
    width: int
    height: int
    K: np.ndarray                     # 3x3 intrinsic matrix
    distortion: np.ndarray            # plumb_bob k1, k2, t1, t2, k3 (zeros when undistorted)
    frame_id: str = "camera"
    min_depth_m: float = 0.1

    @classmethod
    def from_camera_info(cls, width: int, height: int, k: np.ndarray | list[float], d: np.ndarray | list[float] | None,
                         distortion_model: str = "plumb_bob", frame_id: str = "camera") -> PinholeCamera:
        """From CameraInfo fields (k row-major 9 values, d coefficients). Rejects degenerate data."""
        source = f"camera info (frame {frame_id!r})"
        K = np.asarray(k, dtype=float).reshape(-1)
        if K.size != 9:
            raise InputError(source, f"K must have 9 values, got {K.size}")
        K = K.reshape(3, 3)
        if not np.all(np.isfinite(K)) or K[0, 0] <= 0 or K[1, 1] <= 0:
            raise InputError(source, f"K has no valid focal length (fx={K[0, 0]}, fy={K[1, 1]}); an all-zero K means an uncalibrated camera")
        if width <= 0 or height <= 0:
            raise InputError(source, f"image size {width}x{height} is empty")
        coeffs = np.zeros(5)
        if distortion_model in ("plumb_bob", "rational_polynomial") and d is not None and len(d):
            d = np.asarray(d, dtype=float)
            if not np.all(np.isfinite(d)):
                raise InputError(source, "distortion coefficients are not finite")
            if distortion_model == "rational_polynomial" and np.any(d[5:] != 0):
                raise InputError(source, "rational_polynomial with k4..k6 is not supported (only plumb_bob terms)")
            coeffs[: min(5, d.size)] = d[:5]
        elif distortion_model not in ("plumb_bob", "rational_polynomial", "none", ""):
            raise InputError(source, f"unsupported distortion model {distortion_model!r} (plumb_bob or none)")
        return cls(int(width), int(height), K, coeffs, frame_id)

    @classmethod
    def from_config(cls, intrinsics, frame_id: str) -> PinholeCamera:
        """From a vehicle config's CameraIntrinsics."""
        k = [intrinsics.fx, 0.0, intrinsics.cx, 0.0, intrinsics.fy, intrinsics.cy, 0.0, 0.0, 1.0]
        return cls.from_camera_info(intrinsics.width, intrinsics.height, k, intrinsics.distortion,
                                    intrinsics.distortion_model, frame_id)

    @cached_property
    def has_distortion(self) -> bool:
        return bool(np.any(self.distortion != 0))

    def _distort(self, xn: np.ndarray) -> np.ndarray:
        return _distort_all(np.ascontiguousarray(xn, dtype=float), self.distortion)

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixels (N, 2) of optical-frame points (N, 3), and a mask of points in front of the camera."""
        p = np.ascontiguousarray(np.atleast_2d(np.asarray(points, dtype=float)))
        return _project(p, self.K, self.distortion, self.has_distortion, self.min_depth_m)

    def unproject(self, uv: np.ndarray) -> np.ndarray:
        """Unit-depth rays (N, 3) (z = 1) through pixels (N, 2), undoing distortion iteratively."""
        uv = np.atleast_2d(np.asarray(uv, dtype=float))
        xd = np.linalg.solve(self.K[:2, :2], (uv - self.K[:2, 2]).T).T
        xn = xd.copy()
        if self.has_distortion:
            for _ in range(20):
                xn = xn + (xd - self._distort(xn))
        return np.column_stack([xn, np.ones(len(xn))])

    def project_jacobian(self, points: np.ndarray) -> np.ndarray:
        """d(u, v)/d(x, y, z) (N, 2, 3) of the undistorted projection (distortion is small near the centre)."""
        p = np.atleast_2d(np.asarray(points, dtype=float))
        x, y, z = p[:, 0], p[:, 1], np.maximum(p[:, 2], self.min_depth_m)
        fx, fy = self.K[0, 0], self.K[1, 1]
        J = np.zeros((len(p), 2, 3))
        J[:, 0, 0] = fx / z
        J[:, 0, 2] = -fx * x / z**2
        J[:, 1, 1] = fy / z
        J[:, 1, 2] = -fy * y / z**2
        return J

    def in_image(self, uv: np.ndarray, margin_px: float = 0.0) -> np.ndarray:
        """Mask of pixels inside the image (shrunk by margin_px)."""
        uv = np.atleast_2d(uv)
        return ((uv[:, 0] >= -0.5 + margin_px) & (uv[:, 0] <= self.width - 0.5 - margin_px)
                & (uv[:, 1] >= -0.5 + margin_px) & (uv[:, 1] <= self.height - 0.5 - margin_px))

    def project_boxes(self, corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """2D boxes x1, y1, x2, y2 (N, 4) enclosing projected 3D box corners (N, 8, 3), clipped to the
        image, and a mask of boxes entirely in front of the camera."""
        corners = np.asarray(corners, dtype=float)
        uv, front = self.project(corners.reshape(-1, 3))
        return _enclosing_boxes(uv, front, len(corners), self.width - 1.0, self.height - 1.0)


@compiled
def _distorted(x, y, d):
    """plumb_bob distortion (k1, k2, t1, t2, k3) of one normalised image point."""
    k1, k2, t1, t2, k3 = d[0], d[1], d[2], d[3], d[4]
    r2 = x * x + y * y
    radial = 1 + k1 * r2 + k2 * r2**2 + k3 * r2**3
    return x * radial + 2 * t1 * x * y + t2 * (r2 + 2 * x * x), y * radial + t1 * (r2 + 2 * y * y) + 2 * t2 * x * y


@compiled
def _distort_all(xn, d):
    out = np.empty_like(xn)
    for i in range(len(xn)):
        out[i, 0], out[i, 1] = _distorted(xn[i, 0], xn[i, 1], d)
    return out


@compiled
def _project(points, K, distortion, distorted, min_depth):
    """PinholeCamera.project, point by point."""
    uv = np.empty((len(points), 2))
    front = np.empty(len(points), dtype=np.bool_)
    for i in range(len(points)):
        front[i] = points[i, 2] > min_depth
        depth = points[i, 2] if front[i] else 1.0
        x, y = points[i, 0] / depth, points[i, 1] / depth
        if distorted:
            x, y = _distorted(x, y, distortion)
        uv[i, 0] = x * K[0, 0] + y * K[0, 1] + K[0, 2]
        uv[i, 1] = x * K[1, 0] + y * K[1, 1] + K[1, 2]
    return uv, front


@compiled
def _enclosing_boxes(uv, front, n, max_u, max_v):
    """Per box of 8 consecutive projected corners: the enclosing pixel box clipped to [0, max], and
    whether all 8 corners are in front of the camera."""
    boxes = np.empty((n, 4))
    all_front = np.ones(n, dtype=np.bool_)
    for b in range(n):
        corners = uv[8 * b:8 * b + 8]
        boxes[b, 0], boxes[b, 1] = corners[:, 0].min(), corners[:, 1].min()
        boxes[b, 2], boxes[b, 3] = corners[:, 0].max(), corners[:, 1].max()
        for k in range(4):
            boxes[b, k] = min(max(boxes[b, k], 0.0), max_u if k % 2 == 0 else max_v)
        for k in range(8):
            all_front[b] &= front[8 * b + k]
    return boxes, all_front


# load at import (fusion.core.compiled)
_project(np.ones((1, 3)), np.eye(3), np.zeros(5), True, 0.1)
_distort_all(np.zeros((1, 2)), np.zeros(5))
_enclosing_boxes(np.zeros((8, 2)), np.ones(8, dtype=np.bool_), 1, 1.0, 1.0)
