"""sensor_msgs/PointCloud2 <-> numpy, for any field layout.

The layout (fields, offsets, datatypes, counts, point_step, row_step, endianness, organised or not)
is read from the message and checked before any byte is interpreted: a field that overlaps another,
sticks out of point_step or has an unknown datatype is an InputError naming the field. Decoding is
one strided structured-array view of the buffer, no per-point Python.
"""
from __future__ import annotations

import array
from dataclasses import dataclass
from typing import Any

import numpy as np

from fusion.core.errors import InputError
from fusion.core.measurements import LidarPointCloud, RadarDetections
from fusion.core.time import ns_to_seconds
from fusion.messages.header import MessageTypes, make_header, read_header
from sensors.radar.cartesian import radar_detections_from_points

# sensor_msgs/PointField datatype constants -> numpy type codes.
POINTFIELD_DTYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 8: "f8"}
_DATATYPE_OF = {np.dtype(code): datatype for datatype, code in POINTFIELD_DTYPES.items()}

# Per-point time conventions of common drivers, normalised to 'time' = seconds after the header stamp.
_TIME_OFFSET_S = "time"          # Velodyne / Robosense: float seconds after the stamp
_TIME_OFFSET_NS = "t"            # Ouster: integer nanoseconds after the stamp
_TIME_ABSOLUTE_S = "timestamp"   # Hesai / Livox: absolute float seconds

# Field names radar drivers use for the radial (Doppler) velocity and the radar cross-section.
RADIAL_VELOCITY_FIELDS = ("v_r", "vr", "doppler", "doppler_velocity", "radial_velocity", "velocity")
RCS_FIELDS = ("rcs", "RCS", "amplitude", "power")


@dataclass
class DecodedCloud:
    """Every field of a PointCloud2 as native-endian arrays of length height * width (row-major;
    fields with count > 1 are (N, count)), with the header's stamp and frame."""

    stamp_ns: int
    frame_id: str
    height: int
    width: int
    fields: dict[str, np.ndarray]
    source: str

    def __len__(self) -> int:
        return self.height * self.width

    def require(self, name: str) -> np.ndarray:
        if name not in self.fields:
            raise InputError(self.source, f"no field {name!r} (fields: {', '.join(self.fields) or 'none'})")
        return self.fields[name]

    def first_of(self, names: tuple[str, ...], what: str) -> np.ndarray:
        for name in names:
            if name in self.fields:
                return self.fields[name]
        raise InputError(self.source, f"no {what} field (looked for {', '.join(names)}; fields: {', '.join(self.fields) or 'none'})")


def _buffer(data: Any) -> memoryview:
    """A byte view of the data field (bytes, array.array('B'), numpy uint8 or a list of ints)."""
    if isinstance(data, (list, tuple)):
        data = np.asarray(data, dtype=np.uint8)
    return memoryview(data).cast("B")


def _layout(msg: Any, source: str) -> np.dtype:
    endian = ">" if msg.is_bigendian else "<"
    point_step = int(msg.point_step)
    names, formats, offsets, spans = [], [], [], []
    for field in msg.fields:
        name, offset, count = str(field.name), int(field.offset), int(field.count)
        code = POINTFIELD_DTYPES.get(int(field.datatype))
        if code is None:
            raise InputError(source, f"field {name!r} has unknown datatype {field.datatype} (PointField defines 1..8)")
        if name in names:
            raise InputError(source, f"field {name!r} appears twice")
        if count < 1:
            raise InputError(source, f"field {name!r} has count {count} (must be >= 1)")
        size = np.dtype(code).itemsize * count
        if offset < 0 or offset + size > point_step:
            raise InputError(source, f"field {name!r} (offset {offset}, {size} bytes) does not fit in point_step {point_step}")
        names.append(name)
        formats.append((endian + code, (count,)) if count > 1 else endian + code)
        offsets.append(offset)
        spans.append((offset, offset + size, name))
    if not names:
        raise InputError(source, "has no fields")
    spans.sort()
    for (_, end, first), (start, _, second) in zip(spans, spans[1:]):
        if start < end:
            raise InputError(source, f"fields {first!r} and {second!r} overlap (bytes {start}..{end - 1})")
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": point_step})


def read_points(msg: Any, topic: str = "") -> DecodedCloud:
    """Decode every field of a PointCloud2 (organised clouds are flattened row by row)."""
    stamp_ns, frame_id, source = read_header(msg, "PointCloud2", topic)
    height, width = int(msg.height), int(msg.width)
    point_step, row_step = int(msg.point_step), int(msg.row_step)
    dtype = _layout(msg, source)
    n = height * width
    if n and row_step < width * point_step:
        raise InputError(source, f"row_step {row_step} is smaller than width {width} x point_step {point_step}")
    data = _buffer(msg.data)
    needed = (height - 1) * row_step + width * point_step if n else 0
    if len(data) < needed:
        raise InputError(source, f"data has {len(data)} bytes, the layout needs {needed} "
                                 f"(height {height}, width {width}, row_step {row_step}, point_step {point_step})")
    if n:
        view = np.ndarray((height, width), dtype=dtype, buffer=data, strides=(row_step, point_step))
    else:
        view = np.zeros((height, width), dtype=dtype)
    fields = {}
    for name in dtype.names:
        column = view[name]   # (height, width) or (height, width, count), possibly big-endian
        fields[name] = column.astype(column.dtype.newbyteorder("=")).reshape((n,) + column.shape[2:])
    return DecodedCloud(stamp_ns, frame_id, height, width, fields, source)


def _point_times(cloud: DecodedCloud) -> np.ndarray | None:
    """Per-point time as seconds after the header stamp, from whichever convention the driver uses."""
    if _TIME_OFFSET_S in cloud.fields:
        return cloud.fields[_TIME_OFFSET_S].astype(float)
    if _TIME_OFFSET_NS in cloud.fields:
        return cloud.fields[_TIME_OFFSET_NS].astype(float) * 1e-9
    if _TIME_ABSOLUTE_S in cloud.fields:
        return cloud.fields[_TIME_ABSOLUTE_S].astype(float) - ns_to_seconds(cloud.stamp_ns)
    return None


def _finite_rows(cloud: DecodedCloud, columns: dict[str, np.ndarray]) -> tuple[np.ndarray, int]:
    n = len(cloud)
    if n == 0:
        raise InputError(cloud.source, "cloud is empty (height x width = 0)")
    keep = np.ones(n, dtype=bool)
    for values in columns.values():
        if values.dtype.kind == "f":
            keep &= np.isfinite(values)
    dropped = int(n - np.count_nonzero(keep))
    if dropped == n:
        raise InputError(cloud.source, f"all {n} points have non-finite values")
    return keep, dropped


def to_lidar_cloud(msg: Any, sensor_id: str, topic: str = "") -> tuple[LidarPointCloud, int]:
    """A lidar PointCloud2 as a LidarPointCloud, and how many points were dropped as non-finite
    (NaN marks "no return" in organised clouds). Every scalar field besides x, y, z is kept as a
    float field; per-point time ('time', 't' or 'timestamp') becomes 'time' in seconds after the stamp."""
    cloud = read_points(msg, topic)
    columns = {axis: cloud.require(axis) for axis in ("x", "y", "z")}
    times = _point_times(cloud)
    skip = {"x", "y", "z", _TIME_OFFSET_S, _TIME_OFFSET_NS, _TIME_ABSOLUTE_S}
    for name, values in cloud.fields.items():
        if name not in skip and values.ndim == 1:
            columns[name] = values
    if times is not None:
        columns["time"] = times
    keep, dropped = _finite_rows(cloud, columns)
    points = np.column_stack([columns.pop(axis)[keep] for axis in ("x", "y", "z")]).astype(float)
    extra = {name: values[keep].astype(float) for name, values in columns.items()}
    return LidarPointCloud(cloud.stamp_ns, cloud.frame_id, sensor_id, points, extra), dropped


def to_radar_detections(msg: Any, sensor_id: str, topic: str = "") -> tuple[RadarDetections, int]:
    """A radar point cloud (x, y, z, radial velocity, RCS; see RADIAL_VELOCITY_FIELDS and RCS_FIELDS
    for the accepted names) as RadarDetections, and how many non-finite returns were dropped.
    An empty radar cloud is valid (a scan with no returns)."""
    cloud = read_points(msg, topic)
    columns = {axis: cloud.require(axis) for axis in ("x", "y", "z")}
    columns["v_r"] = cloud.first_of(RADIAL_VELOCITY_FIELDS, "radial velocity")
    columns["rcs"] = cloud.first_of(RCS_FIELDS, "radar cross-section")
    if len(cloud) == 0:
        keep, dropped = np.zeros(0, dtype=bool), 0
    else:
        keep, dropped = _finite_rows(cloud, columns)
    xyz = np.column_stack([columns[axis][keep] for axis in ("x", "y", "z")]).astype(float)
    return radar_detections_from_points(xyz, columns["v_r"][keep], columns["rcs"][keep], cloud.stamp_ns,
                                        cloud.frame_id, sensor_id), dropped


def encode(types: MessageTypes, stamp_ns: int, frame_id: str, fields: dict[str, np.ndarray], *,
           height: int = 1, big_endian: bool = False) -> Any:
    """A PointCloud2 holding the given 1-D fields packed in order (each keeps its numpy dtype;
    float64 stays float64). height > 1 makes an organised cloud of height rows."""
    if not fields:
        raise InputError("PointCloud2 encoder", "no fields to encode")
    arrays = {name: np.asarray(values) for name, values in fields.items()}
    lengths = {name: a.shape for name, a in arrays.items()}
    n = len(next(iter(arrays.values())))
    if any(a.ndim != 1 or len(a) != n for a in arrays.values()):
        raise InputError("PointCloud2 encoder", f"fields must be 1-D of one length, got shapes {lengths}")
    if height < 1 or n % height:
        raise InputError("PointCloud2 encoder", f"{n} points cannot form {height} rows")
    endian = ">" if big_endian else "<"
    for name, a in arrays.items():
        if a.dtype.newbyteorder("=") not in _DATATYPE_OF:
            raise InputError("PointCloud2 encoder", f"field {name!r} has dtype {a.dtype}, not a PointField type")
    dtype = np.dtype([(name, endian + a.dtype.str[1:]) for name, a in arrays.items()])
    packed = np.empty(n, dtype=dtype)
    for name, a in arrays.items():
        packed[name] = a
    point_field = types("sensor_msgs/msg/PointField")
    msg_fields = [point_field(name=name, offset=dtype.fields[name][1], datatype=_DATATYPE_OF[a.dtype.newbyteorder("=")], count=1)
                  for name, a in arrays.items()]
    width = n // height
    raw = packed.view(np.uint8).reshape(-1)
    kwargs = dict(header=make_header(types, stamp_ns, frame_id), height=height, width=width, fields=msg_fields,
                  is_bigendian=big_endian, point_step=dtype.itemsize, row_step=dtype.itemsize * width,
                  is_dense=all(np.all(np.isfinite(a)) for a in arrays.values() if a.dtype.kind == "f"))
    cls = types("sensor_msgs/msg/PointCloud2")
    try:
        return cls(data=raw, **kwargs)             # rosbags: uint8[] is a numpy array
    except (AssertionError, TypeError):
        return cls(data=array.array("B", raw.tobytes()), **kwargs)   # rclpy: uint8[] is array.array('B')


def from_lidar_cloud(types: MessageTypes, cloud: LidarPointCloud) -> Any:
    """A LidarPointCloud as a PointCloud2 with float32 x, y, z and its extra fields."""
    fields = {axis: cloud.points[:, i].astype(np.float32) for i, axis in enumerate("xyz")}
    fields.update({name: values.astype(np.float32) for name, values in cloud.fields.items()})
    return encode(types, cloud.stamp_ns, cloud.frame_id, fields)
