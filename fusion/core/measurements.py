"""Per-sensor measurement batches: plain numpy data with a stamp, a frame and the sensor that made it.

Construction validates shapes and values and raises InputError naming the sensor, the field and the
first bad row, so a malformed message is reported where it enters and never reaches a filter.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.core.time import check_stamp


_SUMMED_AS_FLOATS = 64   # arrays up to this size are checked through a sum of Python floats


def _all_finite(arr: np.ndarray) -> bool:
    """Whether no value is NaN or infinite. For a few values, summing them as Python floats costs
    less than numpy's check: the sum is finite when every value is (NaN and inf carry through it),
    and only when it is not (a bad value, or an overflow) are the values looked at one by one."""
    if arr.size <= _SUMMED_AS_FLOATS and math.isfinite(sum(arr.tolist() if arr.ndim == 1 else arr.ravel().tolist())):
        return True
    return bool(np.isfinite(arr).all())


def _array(batch: MeasurementBatch, name: str, value: object, shape: tuple[int | None, ...], dtype: type = float) -> np.ndarray:
    """Convert to an array of the given shape (a first dimension of None = any length) and check it is finite."""
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InputError(batch.source, f"field {name!r} is not numeric: {exc}") from None
    got = arr.shape
    if len(got) != len(shape) or got[1:] != shape[1:] or (shape[0] is not None and got[0] != shape[0]):
        want = "x".join("N" if s is None else str(s) for s in shape)
        raise InputError(batch.source, f"field {name!r} must have shape {want}, got {got}")
    if arr.dtype.kind == "f" and not _all_finite(arr):
        bad = np.argwhere(~np.isfinite(arr))[0].tolist()
        raise InputError(batch.source, f"field {name!r} has a non-finite value at index {bad}")
    return arr


def _same_length(batch: MeasurementBatch, **arrays: np.ndarray) -> int:
    lengths = [len(a) for a in arrays.values()]
    if lengths.count(lengths[0]) != len(lengths):
        raise InputError(batch.source, f"fields have different lengths: {dict(zip(arrays, lengths))}")
    return lengths[0]


_CLASS_VALUES = frozenset(int(c) for c in ObjectClass)


def _classes(batch: MeasurementBatch, classes: object, n: int) -> np.ndarray:
    arr = _array(batch, "classes", classes if classes is not None else np.zeros(n), (None,), dtype=np.int64)
    values = arr.tolist()
    if not _CLASS_VALUES.issuperset(values):
        bad = {c for c in values if c not in _CLASS_VALUES}
        raise InputError(batch.source, f"field 'classes' has unknown class value(s) {sorted(bad)}")
    return arr


@dataclass
class MeasurementBatch:
    """Common header: acquisition stamp (int ns), frame id and the config name of the sensor."""

    stamp_ns: int
    frame_id: str
    sensor_id: str

    @property
    def source(self) -> str:
        return f"sensor {self.sensor_id!r} (frame {self.frame_id!r}, stamp {self.stamp_ns})"

    def _check_header(self) -> None:
        if type(self.stamp_ns) is not int:   # the usual case needs no conversion
            self.stamp_ns = check_stamp(self.stamp_ns, f"sensor {self.sensor_id!r}")
        if not self.frame_id:
            raise InputError(f"sensor {self.sensor_id!r}", "empty frame_id")


@dataclass
class CameraDetections(MeasurementBatch):
    """2D boxes from an upstream image detector, in pixels of the rectified image: x1, y1, x2, y2."""

    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    classes: np.ndarray | None = None
    scores: np.ndarray | None = None

    def __post_init__(self) -> None:
        self._check_header()
        self.boxes = _array(self, "boxes", self.boxes, (None, 4))
        n = len(self.boxes)
        self.classes = _classes(self, self.classes, n)
        self.scores = _array(self, "scores", self.scores if self.scores is not None else np.ones(n), (None,))
        _same_length(self, boxes=self.boxes, classes=self.classes, scores=self.scores)
        inverted = self.boxes[:, 2:] < self.boxes[:, :2]   # x2 < x1, y2 < y1
        if np.count_nonzero(inverted):
            index = int(np.argmax(inverted.any(axis=1)))
            raise InputError(self.source, f"box {index} has x2 < x1 or y2 < y1: {self.boxes[index].tolist()}")

    def __len__(self) -> int:
        return len(self.boxes)


@dataclass
class RadarDetections(MeasurementBatch):
    """Radar returns in the radar frame: range [m], azimuth and elevation [rad], range rate [m/s]
    (positive = moving away), radar cross-section [dBsm]."""

    range: np.ndarray = field(default_factory=lambda: np.zeros(0))
    azimuth: np.ndarray = field(default_factory=lambda: np.zeros(0))
    elevation: np.ndarray | None = None
    range_rate: np.ndarray = field(default_factory=lambda: np.zeros(0))
    rcs: np.ndarray | None = None

    def __post_init__(self) -> None:
        self._check_header()
        self.range = _array(self, "range", self.range, (None,))
        n = len(self.range)
        self.azimuth = _array(self, "azimuth", self.azimuth, (None,))
        self.elevation = _array(self, "elevation", self.elevation if self.elevation is not None else np.zeros(n), (None,))
        self.range_rate = _array(self, "range_rate", self.range_rate, (None,))
        self.rcs = _array(self, "rcs", self.rcs if self.rcs is not None else np.zeros(n), (None,))
        _same_length(self, range=self.range, azimuth=self.azimuth, elevation=self.elevation,
                     range_rate=self.range_rate, rcs=self.rcs)
        if np.count_nonzero(self.range < 0):
            raise InputError(self.source, f"field 'range' has a negative value at index {int(np.argmax(self.range < 0))}")

    def __len__(self) -> int:
        return len(self.range)

    def to_cartesian(self) -> np.ndarray:
        """Points (N, 3) in the radar frame (x forward, y left, z up)."""
        ce = np.cos(self.elevation)
        return np.column_stack([
            self.range * ce * np.cos(self.azimuth),
            self.range * ce * np.sin(self.azimuth),
            self.range * np.sin(self.elevation),
        ])


@dataclass
class LidarPointCloud(MeasurementBatch):
    """Points (N, 3) in the lidar frame, plus optional per-point fields of length N
    (e.g. 'intensity', 'ring', 'time' — the offset in seconds from stamp_ns)."""

    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    fields: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._check_header()
        self.points = _array(self, "points", self.points, (None, 3))
        for name, values in list(self.fields.items()):
            self.fields[name] = _array(self, name, values, (len(self.points),))

    def __len__(self) -> int:
        return len(self.points)


@dataclass
class Boxes3D(MeasurementBatch):
    """Oriented 3D boxes (e.g. a lidar detector's output): centre (N, 3) of the box volume, size
    (N, 3) as length, width, height, yaw (N,) about z of the frame, class, score, optional velocity."""

    centers: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    sizes: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    yaws: np.ndarray = field(default_factory=lambda: np.zeros(0))
    classes: np.ndarray | None = None
    scores: np.ndarray | None = None
    velocities: np.ndarray | None = None

    def __post_init__(self) -> None:
        self._check_header()
        self.centers = _array(self, "centers", self.centers, (None, 3))
        n = len(self.centers)
        self.sizes = _array(self, "sizes", self.sizes, (None, 3))
        self.yaws = _array(self, "yaws", self.yaws, (None,))
        self.classes = _classes(self, self.classes, n)
        self.scores = _array(self, "scores", self.scores if self.scores is not None else np.ones(n), (None,))
        if self.velocities is not None:
            self.velocities = _array(self, "velocities", self.velocities, (None, 3))
            _same_length(self, centers=self.centers, velocities=self.velocities)
        _same_length(self, centers=self.centers, sizes=self.sizes, yaws=self.yaws,
                     classes=self.classes, scores=self.scores)
        if np.count_nonzero(self.sizes <= 0):
            raise InputError(self.source, f"field 'sizes' has a non-positive dimension in box {int(np.argwhere(self.sizes <= 0)[0, 0])}")

    def __len__(self) -> int:
        return len(self.centers)


@dataclass
class ImuSample(MeasurementBatch):
    """One IMU sample in the IMU frame: angular velocity [rad/s] and specific force [m/s^2]
    (sensor_msgs/Imu semantics; a resting IMU measures +9.81 m/s^2 upwards)."""

    angular_velocity: np.ndarray = field(default_factory=lambda: np.zeros(3))
    linear_acceleration: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def __post_init__(self) -> None:
        self._check_header()
        self.angular_velocity = _array(self, "angular_velocity", self.angular_velocity, (3,))
        self.linear_acceleration = _array(self, "linear_acceleration", self.linear_acceleration, (3,))


class GnssStatus:
    """sensor_msgs/NavSatStatus status values."""

    NO_FIX = -1
    FIX = 0
    SBAS_FIX = 1
    GBAS_FIX = 2


class CovarianceType:
    """sensor_msgs/NavSatFix position_covariance_type values."""

    UNKNOWN = 0
    APPROXIMATED = 1
    DIAGONAL_KNOWN = 2
    KNOWN = 3


@dataclass
class GnssFix(MeasurementBatch):
    """A GNSS fix (sensor_msgs/NavSatFix semantics): WGS-84 latitude/longitude [deg], ellipsoidal
    altitude [m], ENU position covariance [m^2], its type and the fix status; optional ENU velocity."""

    latitude_deg: float = 0.0
    longitude_deg: float = 0.0
    altitude_m: float = 0.0
    position_covariance: np.ndarray = field(default_factory=lambda: np.eye(3))
    covariance_type: int = CovarianceType.UNKNOWN
    status: int = GnssStatus.FIX
    velocity_enu: np.ndarray | None = None

    def __post_init__(self) -> None:
        self._check_header()
        if self.status == GnssStatus.NO_FIX:
            # A no-fix message carries no position; keep its fields as they are (may be NaN).
            self.position_covariance = np.asarray(self.position_covariance, dtype=float).reshape(3, 3)
            return
        lat, lon, alt = _array(self, "latitude/longitude/altitude", [self.latitude_deg, self.longitude_deg, self.altitude_m], (3,))
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise InputError(self.source, f"latitude {lat} / longitude {lon} out of range")
        self.latitude_deg, self.longitude_deg, self.altitude_m = float(lat), float(lon), float(alt)
        self.position_covariance = _array(self, "position_covariance", np.asarray(self.position_covariance, dtype=float).reshape(3, 3), (3, 3))
        if self.covariance_type not in (0, 1, 2, 3):
            raise InputError(self.source, f"position_covariance_type {self.covariance_type} is not 0..3")
        if self.velocity_enu is not None:
            self.velocity_enu = _array(self, "velocity_enu", self.velocity_enu, (3,))

    @property
    def has_fix(self) -> bool:
        return self.status >= GnssStatus.FIX


Measurement = CameraDetections | RadarDetections | LidarPointCloud | Boxes3D | ImuSample | GnssFix
