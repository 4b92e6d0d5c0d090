"""PointCloud2 decoding of real-world layouts, encoding, and clear errors for broken layouts."""
from __future__ import annotations

import array
from types import SimpleNamespace

import numpy as np
import pytest

from fusion.core.errors import InputError
from fusion.messages import pointcloud2

FLOAT32, UINT16, UINT32, FLOAT64, UINT8 = 7, 4, 6, 8, 2


def _message(structured: np.ndarray, fields: list[tuple[str, int, int]], *, height: int = 1, big_endian: bool = False,
             row_padding: int = 0, frame_id: str = "lidar_top", stamp=(12, 500)) -> SimpleNamespace:
    """A PointCloud2-shaped message over the bytes of a structured array (N or height x width)."""
    rows = structured.reshape(height, -1)
    point_step = structured.dtype.itemsize
    row_bytes = rows.shape[1] * point_step
    raw = b"".join(row.tobytes() + b"\xee" * row_padding for row in rows)
    header = SimpleNamespace(stamp=SimpleNamespace(sec=stamp[0], nanosec=stamp[1]), frame_id=frame_id)
    return SimpleNamespace(
        header=header, height=height, width=rows.shape[1], is_bigendian=big_endian, point_step=point_step,
        row_step=row_bytes + row_padding, is_dense=False, data=raw,
        fields=[SimpleNamespace(name=n, offset=o, datatype=d, count=1) for n, o, d in fields])


def _velodyne_points(n: int = 50, endian: str = "<") -> np.ndarray:
    """Velodyne driver layout: x y z (pad 4) intensity ring time, 32-byte points with padding."""
    dtype = np.dtype({"names": ["x", "y", "z", "intensity", "ring", "time"],
                      "formats": [endian + "f4"] * 4 + [endian + "u2", endian + "f4"],
                      "offsets": [0, 4, 8, 16, 20, 24], "itemsize": 32})
    rng = np.random.default_rng(3)
    points = np.zeros(n, dtype=dtype)
    for axis in "xyz":
        points[axis] = rng.uniform(-20, 20, n)
    points["intensity"] = rng.uniform(0, 100, n)
    points["ring"] = np.arange(n) % 64
    points["time"] = np.linspace(0.0, 0.1, n)
    return points


VELODYNE_FIELDS = [("x", 0, FLOAT32), ("y", 4, FLOAT32), ("z", 8, FLOAT32), ("intensity", 16, FLOAT32),
                   ("ring", 20, UINT16), ("time", 24, FLOAT32)]


def test_velodyne_layout_with_padding_decodes_every_field():
    points = _velodyne_points()
    cloud, dropped = pointcloud2.to_lidar_cloud(_message(points, VELODYNE_FIELDS), "lidar", topic="/points")
    assert dropped == 0
    assert cloud.stamp_ns == 12 * 10**9 + 500 and cloud.frame_id == "lidar_top"
    np.testing.assert_array_equal(cloud.points, np.column_stack([points["x"], points["y"], points["z"]]).astype(float))
    np.testing.assert_array_equal(cloud.fields["ring"], points["ring"])
    np.testing.assert_allclose(cloud.fields["time"], points["time"], rtol=1e-6)
    np.testing.assert_allclose(cloud.fields["intensity"], points["intensity"], rtol=1e-6)


def test_big_endian_layout_decodes_to_the_same_values():
    little, big = _velodyne_points(endian="<"), _velodyne_points(endian=">")
    a, _ = pointcloud2.to_lidar_cloud(_message(little, VELODYNE_FIELDS), "lidar")
    b, _ = pointcloud2.to_lidar_cloud(_message(big, VELODYNE_FIELDS, big_endian=True), "lidar")
    np.testing.assert_array_equal(a.points, b.points)
    np.testing.assert_array_equal(a.fields["ring"], b.fields["ring"])


def test_organised_cloud_with_row_padding_nan_returns_and_integer_ns_time():
    """Ouster-like: organised 4 x 6, t in uint32 ns, rows padded, 'no return' pixels are NaN."""
    dtype = np.dtype({"names": ["x", "y", "z", "t", "reflectivity"], "formats": ["<f4", "<f4", "<f4", "<u4", "<u2"],
                      "offsets": [0, 4, 8, 12, 16], "itemsize": 20})
    points = np.zeros(24, dtype=dtype)
    points["x"] = np.arange(24)
    points["y"], points["z"] = 1.0, -1.0
    points["t"] = np.arange(24) * 1000
    points["reflectivity"] = 7
    points["x"][[3, 10, 11]] = np.nan
    fields = [("x", 0, FLOAT32), ("y", 4, FLOAT32), ("z", 8, FLOAT32), ("t", 12, UINT32), ("reflectivity", 16, UINT16)]
    msg = _message(points, fields, height=4, row_padding=12)
    decoded = pointcloud2.read_points(msg)
    assert (decoded.height, decoded.width) == (4, 6)
    cloud, dropped = pointcloud2.to_lidar_cloud(msg, "lidar")
    assert dropped == 3 and len(cloud) == 21
    keep = np.setdiff1d(np.arange(24), [3, 10, 11])
    np.testing.assert_array_equal(cloud.points[:, 0], keep)                   # row-major order kept
    np.testing.assert_allclose(cloud.fields["time"], keep * 1e-6)            # ns -> s after the stamp
    assert "t" not in cloud.fields and np.all(cloud.fields["reflectivity"] == 7)


@pytest.mark.parametrize("data_as", [bytes, lambda raw: array.array("B", raw), lambda raw: np.frombuffer(raw, np.uint8), list])
def test_data_buffer_types_of_rclpy_and_rosbags(data_as):
    points = _velodyne_points(5)
    msg = _message(points, VELODYNE_FIELDS)
    msg.data = data_as(msg.data)
    cloud, _ = pointcloud2.to_lidar_cloud(msg, "lidar")
    np.testing.assert_array_equal(cloud.points[:, 2], points["z"])


def test_encode_decode_round_trip_with_rosbags_classes(ros_types):
    rng = np.random.default_rng(0)
    fields = {"x": rng.normal(size=40).astype(np.float32), "y": rng.normal(size=40).astype(np.float32),
              "z": rng.normal(size=40), "ring": np.arange(40, dtype=np.uint16), "timestamp": 5.0 + np.arange(40) * 1e-3}
    for big_endian, height in ((False, 1), (True, 4)):
        msg = pointcloud2.encode(ros_types, 5 * 10**9, "lidar_top", fields, height=height, big_endian=big_endian)
        assert type(msg).__name__.endswith("PointCloud2") and msg.height == height
        cloud, _ = pointcloud2.to_lidar_cloud(msg, "lidar")
        np.testing.assert_array_equal(cloud.points[:, 2], fields["z"])          # float64 stays float64
        np.testing.assert_array_equal(cloud.fields["ring"], fields["ring"])
        np.testing.assert_allclose(cloud.fields["time"], np.arange(40) * 1e-3, atol=1e-9)   # absolute -> after stamp
        again = pointcloud2.from_lidar_cloud(ros_types, cloud)
        np.testing.assert_allclose(pointcloud2.read_points(again).fields["x"], fields["x"])


def test_radar_cloud_with_driver_field_names_and_empty_scan(ros_types):
    xyz = np.array([[10.0, 0.0, 0.0], [0.0, 5.0, 0.0], [3.0, 4.0, 0.0]], dtype=np.float32)
    msg = pointcloud2.encode(ros_types, 1, "radar_front", {"x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2],
                                                          "doppler": np.float32([-1, 0, 2]), "RCS": np.float32([5, 6, 7])})
    detections, dropped = pointcloud2.to_radar_detections(msg, "radar_front")
    assert dropped == 0
    np.testing.assert_allclose(detections.range, [10, 5, 5])
    np.testing.assert_allclose(detections.azimuth, [0, np.pi / 2, np.arctan2(4, 3)])
    np.testing.assert_allclose(detections.range_rate, [-1, 0, 2])
    np.testing.assert_allclose(detections.to_cartesian(), xyz, atol=1e-6)
    empty = pointcloud2.encode(ros_types, 1, "radar_front", {name: np.zeros(0, np.float32) for name in ("x", "y", "z", "v_r", "rcs")})
    assert len(pointcloud2.to_radar_detections(empty, "radar_front")[0]) == 0


def _broken(**changes) -> SimpleNamespace:
    msg = _message(_velodyne_points(4), VELODYNE_FIELDS, frame_id="lidar_top")
    for key, value in changes.items():
        setattr(msg, key, value)
    return msg


def _fields(*specs) -> list[SimpleNamespace]:
    return [SimpleNamespace(name=n, offset=o, datatype=d, count=c) for n, o, d, c in specs]


@pytest.mark.parametrize("changes, message", [
    (dict(fields=_fields(("x", 0, FLOAT32, 1), ("y", 2, FLOAT32, 1), ("z", 8, FLOAT32, 1))), "fields 'x' and 'y' overlap"),
    (dict(fields=_fields(("x", 0, FLOAT32, 1), ("y", 4, FLOAT32, 1), ("z", 30, FLOAT32, 1))), "field 'z' (offset 30, 4 bytes) does not fit"),
    (dict(fields=_fields(("x", 0, 9, 1), ("y", 4, FLOAT32, 1), ("z", 8, FLOAT32, 1))), "field 'x' has unknown datatype 9"),
    (dict(fields=_fields(("x", 0, FLOAT32, 1), ("y", 4, FLOAT32, 1), ("x", 8, FLOAT32, 1))), "field 'x' appears twice"),
    (dict(fields=_fields(("x", 0, FLOAT32, 0), ("y", 4, FLOAT32, 1), ("z", 8, FLOAT32, 1))), "field 'x' has count 0"),
    (dict(fields=_fields(("x", 0, FLOAT32, 1), ("y", 4, FLOAT32, 1))), "no field 'z'"),
    (dict(data=b"\x00" * 100), "data has 100 bytes, the layout needs 128"),
    (dict(row_step=64), "row_step 64 is smaller than width 4 x point_step 32"),
    (dict(width=0), "cloud is empty"),
    (dict(fields=[]), "has no fields"),
])
def test_inconsistent_layouts_are_errors_naming_topic_frame_and_field(changes, message):
    with pytest.raises(InputError) as error:
        pointcloud2.to_lidar_cloud(_broken(**changes), "lidar", topic="/velodyne_points")
    assert message in str(error.value)
    assert "'/velodyne_points'" in str(error.value) and "'lidar_top'" in str(error.value)


def test_all_nan_cloud_and_missing_frame_are_errors():
    points = _velodyne_points(6)
    points["x"] = np.nan
    with pytest.raises(InputError, match="all 6 points have non-finite values"):
        pointcloud2.to_lidar_cloud(_message(points, VELODYNE_FIELDS), "lidar")
    with pytest.raises(InputError, match="header.frame_id is empty"):
        pointcloud2.to_lidar_cloud(_message(_velodyne_points(3), VELODYNE_FIELDS, frame_id=""), "lidar", topic="/points")
