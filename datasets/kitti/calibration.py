"""KITTI calibration files: camera projections P0..P3, rectification R0_rect, and the velodyne and
IMU extrinsics.

Tracking releases spell the keys two ways (`R0_rect:`/`Tr_velo_to_cam:`/`Tr_imu_to_velo:` as in the
object benchmark, or `R_rect`/`Tr_velo_cam`/`Tr_imu_velo`, sometimes without the colon); both are read.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from datasets.kitti.frames import R_FLU_RECT
from datasets.kitti.table import where
from fusion.core.errors import InputError
from fusion.core.transform import Transform
from sensors.camera.pinhole import PinholeCamera

_ALIASES = {"R_rect": "R0_rect", "Tr_velo_cam": "Tr_velo_to_cam", "Tr_imu_velo": "Tr_imu_to_velo"}
_SIZES = {"P0": 12, "P1": 12, "P2": 12, "P3": 12, "R0_rect": 9, "Tr_velo_to_cam": 12, "Tr_imu_to_velo": 12}
_REQUIRED = ("P2", "R0_rect", "Tr_velo_to_cam")


@dataclass(frozen=True)
class KittiCalibration:
    """P (4, 3, 4): projections of the rectified cameras 0..3 (rows of a missing one are NaN);
    R0_rect (3, 3); Tr_velo_to_cam and Tr_imu_to_velo (3, 4) (NaN where the file lacks them)."""

    P: np.ndarray
    R0_rect: np.ndarray
    Tr_velo_to_cam: np.ndarray
    Tr_imu_to_velo: np.ndarray
    source: str = "calibration"

    def camera(self, index: int, width: int, height: int) -> tuple[PinholeCamera, Transform]:
        """Rectified camera `index` as a pinhole in its optical frame, and T_camera_kitti: the pose
        that maps KITTI_FRAME points into that optical frame (P = K [I | t]: a rectified point p
        projects as K (p + t))."""
        P = self.P[index]
        if not np.all(np.isfinite(P)):
            raise InputError(self.source, f"P{index} is missing")
        K = P[:, :3]
        matrix = np.eye(4)
        matrix[:3, :3] = R_FLU_RECT.T
        matrix[:3, 3] = np.linalg.solve(K, P[:, 3])
        camera = PinholeCamera.from_camera_info(width, height, K.reshape(-1), None, "none", f"kitti_camera_{index}")
        return camera, Transform.from_matrix(matrix)

    def velo_to_rect(self, points: np.ndarray) -> np.ndarray:
        """Velodyne points (N, 3) in the camera-rectified frame."""
        points = np.atleast_2d(points)
        return (points @ self.Tr_velo_to_cam[:, :3].T + self.Tr_velo_to_cam[:, 3]) @ self.R0_rect.T


def read_calibration(path: str | Path) -> KittiCalibration:
    """Parse a KITTI calibration file; a missing P2, R0_rect or Tr_velo_to_cam is an error naming the file."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        raise InputError(str(path), "calibration file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read calibration: {exc}") from None
    values: dict[str, np.ndarray] = {}
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        key, *numbers = line.replace(":", " ", 1).split()
        key = _ALIASES.get(key, key)
        if key not in _SIZES:
            continue  # other keys (e.g. S_02, D_02 of raw-data calibrations) are not needed here
        try:
            array = np.array([float(n) for n in numbers])
        except ValueError:
            raise InputError(where(path, line_no), f"{key} has a non-numeric value") from None
        if array.size != _SIZES[key] or not np.all(np.isfinite(array)):
            raise InputError(where(path, line_no), f"{key} needs {_SIZES[key]} finite numbers, got {array.size}")
        values[key] = array
    missing = [k for k in _REQUIRED if k not in values]
    if missing:
        raise InputError(str(path), f"calibration lacks {', '.join(missing)}")
    nan34 = np.full(12, np.nan)
    return KittiCalibration(
        P=np.stack([values.get(f"P{i}", nan34).reshape(3, 4) for i in range(4)]),
        R0_rect=values["R0_rect"].reshape(3, 3),
        Tr_velo_to_cam=values["Tr_velo_to_cam"].reshape(3, 4),
        Tr_imu_to_velo=values.get("Tr_imu_to_velo", nan34).reshape(3, 4),
        source=str(path))
