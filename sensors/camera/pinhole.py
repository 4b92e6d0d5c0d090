"""Pinhole camera with optional plumb_bob (Brown-Conrady) distortion, as sensor_msgs/CameraInfo describes.

Points are in the camera optical frame (z forward, x right, y down); pixels are (u, v) with the
origin at the top-left pixel corner's centre convention of CameraInfo's K matrix.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

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
        k1, k2, t1, t2, k3 = self.distortion
        x, y = xn[:, 0], xn[:, 1]
        r2 = x * x + y * y
        radial = 1 + k1 * r2 + k2 * r2**2 + k3 * r2**3
        xd = x * radial + 2 * t1 * x * y + t2 * (r2 + 2 * x * x)
        yd = y * radial + t1 * (r2 + 2 * y * y) + 2 * t2 * x * y
        return np.column_stack([xd, yd])

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixels (N, 2) of optical-frame points (N, 3), and a mask of points in front of the camera."""
        p = np.atleast_2d(np.asarray(points, dtype=float))
        z = p[:, 2]
        in_front = z > self.min_depth_m
        xn = p[:, :2] / np.where(in_front, z, 1.0)[:, None]
        if self.has_distortion:
            xn = self._distort(xn)
        uv = xn @ self.K[:2, :2].T + self.K[:2, 2]
        return uv, in_front

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
        n = len(corners)
        uv, front = self.project(corners.reshape(-1, 3))
        uv, front = uv.reshape(n, 8, 2), front.reshape(n, 8).all(axis=1)
        boxes = np.column_stack([uv[..., 0].min(1), uv[..., 1].min(1), uv[..., 0].max(1), uv[..., 1].max(1)])
        boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, self.width - 1)
        boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, self.height - 1)
        return boxes, front
