"""View-of-Delft (VoD) frames: lidar, radar, camera image, calibration, labels and poses.

Layout (the public example set): `<root>/{lidar,radar}/training/{velodyne,calib,image_2,label_2,pose}/NNNNN.*`.
- lidar .bin: float32 N x 4 (x, y, z, reflectance), Velodyne HDL-64 frame (x forward, y left, z up).
- radar .bin: float32 N x 7 (x, y, z, RCS, v_r, v_r_compensated, time), radar frame.
- calib: KITTI style; P2 projects rectified camera coordinates to pixels, and `Tr_velo_to_cam` maps
  that folder's sensor (lidar or radar) into the camera frame.
- label_2 .txt: KITTI format in the camera frame (x right, y down, z forward): class, a motion flag
  (1 = moving; the JSON labels call it activity 'moving'), occlusion, alpha, 2D box x1 y1 x2 y2,
  h w l, location x y z of the box's bottom centre, rotation_y about the camera y axis, score.
- pose .json: one JSON object per line, odomToCamera / mapToCamera / UTMToCamera, each a row-major
  4 x 4 pose of the camera in that frame (it maps camera points into odom / map / UTM).

Everything leaves this module in REP 103 sensor frames: labels become boxes (volume centre,
l w h, yaw about z) in the lidar or radar frame.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from datasets.kitti.frames import R_FLU_RECT, kitti_to_flu_boxes
from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.core.measurements import RadarDetections
from fusion.core.transform import Transform
from sensors.camera.pinhole import PinholeCamera
from sensors.radar.cartesian import radar_detections_from_points

REPO_ROOT = Path(__file__).resolve().parents[1]

# VoD class names -> ObjectClass. 'Cyclist' is a bicycle with its rider, 'rider' the person on it
# (a part of the cyclist, as ObjectClass.parse reads it) and 'bicycle' a bicycle without a rider
# (mostly parked); classes of no road user (bicycle_rack, ride_other, ...) are UNKNOWN.
VOD_CLASSES = {
    "Car": ObjectClass.CAR, "Pedestrian": ObjectClass.PEDESTRIAN, "Cyclist": ObjectClass.BICYCLE,
    "rider": ObjectClass.BICYCLE, "bicycle": ObjectClass.BICYCLE, "moped_scooter": ObjectClass.MOTORCYCLE,
    "motor": ObjectClass.MOTORCYCLE, "truck": ObjectClass.TRUCK,
}


# REP 103 axes at the camera (what kitti_to_flu_boxes returns) -> the camera's optical axes.
_T_CAMERA_FLU = Transform.from_matrix(np.column_stack([R_FLU_RECT.T, np.zeros(3)]))


def default_vod_root() -> Path:
    """`<repo>/../shared/data/vod-example`, where the project keeps the VoD example frames."""
    return REPO_ROOT.parent / "shared" / "data" / "vod-example"


def _read_text(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror if isinstance(exc, OSError) else exc}") from None


def read_calibration_values(path: Path) -> dict[str, np.ndarray]:
    """KEY: values lines of a VoD calibration file. VoD writes an empty `Tr_imu_to_velo:` line,
    which datasets.kitti.calibration.read_calibration rightly rejects for KITTI; here keys without
    values are simply absent."""
    values = {}
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        key, sep, rest = line.partition(":")
        if not sep:
            if line.strip():
                raise InputError(f"{path}:{number}", f"expected 'KEY: values', got {line!r}")
            continue
        try:
            numbers = np.array(rest.split(), dtype=float)
        except ValueError:
            raise InputError(f"{path}:{number}", f"{key} has a non-numeric value") from None
        if numbers.size:
            values[key.strip()] = numbers
    return values


def _sensor_to_camera(path: Path) -> Transform:
    """T_camera_sensor: Tr_velo_to_cam followed by the rectification R0_rect (identity in VoD)."""
    calib = read_calibration_values(path)
    if "Tr_velo_to_cam" not in calib or calib["Tr_velo_to_cam"].size != 12:
        raise InputError(str(path), "needs Tr_velo_to_cam with 12 values")
    rectify = calib.get("R0_rect", np.eye(3).reshape(-1))
    if rectify.size != 9:
        raise InputError(str(path), f"R0_rect needs 9 values, got {rectify.size}")
    T_rect_camera = Transform.from_matrix(np.column_stack([rectify.reshape(3, 3), np.zeros(3)]))
    return T_rect_camera @ Transform.from_matrix(calib["Tr_velo_to_cam"].reshape(3, 4))


@dataclass
class VodLabels:
    """Labelled objects of one frame; 3D boxes in the camera frame as KITTI stores them."""

    names: list[str]
    moving: np.ndarray            # (N,) bool
    occluded: np.ndarray          # (N,) int 0..2
    boxes_2d: np.ndarray          # (N, 4) x1 y1 x2 y2 pixels
    sizes: np.ndarray             # (N, 3) length, width, height
    bottom_centers: np.ndarray    # (N, 3) camera frame
    rotation_y: np.ndarray        # (N,) about the camera y axis

    def __len__(self) -> int:
        return len(self.names)

    @property
    def classes(self) -> np.ndarray:
        return np.array([int(VOD_CLASSES.get(name, ObjectClass.UNKNOWN)) for name in self.names], dtype=np.int64)

    def boxes_in(self, T_sensor_camera: Transform) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes in a z-up sensor frame: volume centres (N, 3), sizes l w h (N, 3), yaws (N,).
        KITTI's box convention is converted where the KITTI reader does it (kitti_to_flu_boxes, to
        REP 103 axes at the camera), then moved into the sensor frame."""
        centers, sizes, yaws = kitti_to_flu_boxes(self.sizes[:, ::-1], self.bottom_centers, self.rotation_y)
        T_sensor_flu = T_sensor_camera @ _T_CAMERA_FLU
        headings = T_sensor_flu.rotate(np.column_stack([np.cos(yaws), np.sin(yaws), np.zeros(len(yaws))]))
        return T_sensor_flu.apply(centers), sizes, np.arctan2(headings[:, 1], headings[:, 0])


def read_labels(path: Path) -> VodLabels:
    rows = []
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 15:
            raise InputError(f"{path}:{number}", f"a KITTI label needs 15 columns, got {len(parts)}")
        try:
            rows.append((parts[0], [float(v) for v in parts[1:15]]))
        except ValueError:
            raise InputError(f"{path}:{number}", "non-numeric label column") from None
    table = np.array([values for _, values in rows], dtype=float).reshape(-1, 14)
    return VodLabels(
        names=[name for name, _ in rows],
        moving=table[:, 0] > 0,
        occluded=table[:, 1].astype(np.int64),
        boxes_2d=table[:, 3:7],
        sizes=table[:, [9, 8, 7]],          # KITTI h w l -> l w h
        bottom_centers=table[:, 10:13],
        rotation_y=table[:, 13],
    )


class VodFrame:
    """One VoD frame, read lazily from the example set's files."""

    STAMP_NS = 0   # the example set carries no stamps; its frames are independent

    def __init__(self, root: Path | str, frame: str):
        self.root = Path(root)
        self.frame = frame
        self.lidar_dir = self.root / "lidar" / "training"
        self.radar_dir = self.root / "radar" / "training"
        if not (self.lidar_dir / "velodyne" / f"{frame}.bin").is_file():
            known = ", ".join(available_frames(self.root)) or "none"
            raise InputError(f"VoD data {self.root}", f"no frame {frame!r} (frames there: {known})")

    def _bin(self, path: Path, columns: int) -> np.ndarray:
        if not path.is_file():
            raise InputError(str(path), "file not found")
        raw = np.fromfile(path, dtype="<f4")
        if raw.size % columns:
            raise InputError(str(path), f"size {raw.size} float32 values is not a multiple of {columns} columns")
        return raw.reshape(-1, columns)

    @cached_property
    def lidar(self) -> np.ndarray:
        """(N, 4) float32 x, y, z, reflectance in the lidar frame."""
        return self._bin(self.lidar_dir / "velodyne" / f"{self.frame}.bin", 4)

    @cached_property
    def radar(self) -> np.ndarray:
        """(N, 7) float32 x, y, z, RCS, v_r, v_r_compensated, time in the radar frame."""
        return self._bin(self.radar_dir / "velodyne" / f"{self.frame}.bin", 7)

    def radar_detections(self, sensor_id: str = "radar") -> RadarDetections:
        r = self.radar.astype(float)
        return radar_detections_from_points(r[:, :3], r[:, 4], r[:, 3], self.STAMP_NS, "radar", sensor_id)

    @cached_property
    def T_camera_lidar(self) -> Transform:
        return _sensor_to_camera(self.lidar_dir / "calib" / f"{self.frame}.txt")

    @cached_property
    def T_camera_radar(self) -> Transform:
        return _sensor_to_camera(self.radar_dir / "calib" / f"{self.frame}.txt")

    @property
    def T_lidar_radar(self) -> Transform:
        return self.T_camera_lidar.inverse() @ self.T_camera_radar

    @property
    def image_path(self) -> Path:
        return self.lidar_dir / "image_2" / f"{self.frame}.jpg"

    def image(self) -> np.ndarray:
        """The rectified colour image (H, W, 3) uint8."""
        from PIL import Image

        with Image.open(self.image_path) as image:
            return np.asarray(image.convert("RGB"))

    @cached_property
    def camera(self) -> PinholeCamera:
        """The rectified camera: intrinsics from P2 (no distortion), size from the image."""
        from PIL import Image

        calib = read_calibration_values(self.lidar_dir / "calib" / f"{self.frame}.txt")
        if "P2" not in calib or calib["P2"].size != 12:
            raise InputError(str(self.lidar_dir / "calib" / f"{self.frame}.txt"), "needs P2 with 12 values")
        p2 = calib["P2"].reshape(3, 4)
        if np.any(p2[:, 3] != 0):
            raise InputError(str(self.lidar_dir / "calib"), "P2 has a baseline term; only the reference camera is supported")
        with Image.open(self.image_path) as image:
            width, height = image.size
        return PinholeCamera.from_camera_info(width, height, p2[:, :3], None, "none", "camera")

    @cached_property
    def labels(self) -> VodLabels:
        return read_labels(self.lidar_dir / "label_2" / f"{self.frame}.txt")

    @cached_property
    def poses(self) -> dict[str, Transform]:
        """Camera poses by key ('odomToCamera', 'mapToCamera', 'UTMToCamera'): T_<frame>_camera."""
        path = self.lidar_dir / "pose" / f"{self.frame}.json"
        poses = {}
        for number, line in enumerate(_read_text(path).splitlines(), 1):
            if not line.strip():
                continue
            try:
                for key, values in json.loads(line).items():
                    poses[key] = Transform.from_matrix(np.asarray(values, dtype=float).reshape(4, 4))
            except (json.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
                raise InputError(f"{path}:{number}", f"expected {{name: 16 numbers of a 4 x 4 pose}}: {exc}") from None
        return poses


def available_frames(root: Path | str) -> list[str]:
    return sorted(p.stem for p in (Path(root) / "lidar" / "training" / "velodyne").glob("*.bin"))


def load_frames(root: Path | str | None = None) -> list[VodFrame]:
    """All frames under root (default_vod_root() when None); a missing folder is an InputError."""
    root = Path(root) if root is not None else default_vod_root()
    frames = available_frames(root)
    if not frames:
        raise InputError(f"VoD data {root}", "no frames found (expected lidar/training/velodyne/*.bin)")
    return [VodFrame(root, frame) for frame in frames]
