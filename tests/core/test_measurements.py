"""Measurement batches reject malformed data with the sensor, field and row named."""
import numpy as np
import pytest

from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.core.measurements import Boxes3D, CameraDetections, GnssFix, GnssStatus, ImuSample, LidarPointCloud, RadarDetections
from fusion.core.objects import ObjectList
from fusion.core.time import ns_to_ros_time, ros_time_to_ns, seconds_to_ns


def test_stamps_round_trip_through_ros_time():
    for ns in (0, 1, 1_700_000_000_123_456_789, seconds_to_ns(12.5)):
        assert ros_time_to_ns(*ns_to_ros_time(ns)) == ns
    with pytest.raises(InputError, match="nanosec"):
        ros_time_to_ns(1, 2_000_000_000)
    with pytest.raises(InputError, match="non-finite"):
        seconds_to_ns(float("nan"))


def test_non_finite_value_is_named_with_sensor_and_index():
    with pytest.raises(InputError, match=r"sensor 'radar_front'.*'range_rate' has a non-finite value at index \[1\]"):
        RadarDetections(1, "radar_front", "radar_front", range=[5.0, 6.0], azimuth=[0.0, 0.1], range_rate=[1.0, np.inf])


def test_shapes_lengths_and_geometry_are_checked():
    with pytest.raises(InputError, match=r"'boxes' must have shape Nx4"):
        CameraDetections(1, "cam", "cam", boxes=np.zeros((2, 3)))
    with pytest.raises(InputError, match="x2 < x1"):
        CameraDetections(1, "cam", "cam", boxes=[[10, 10, 5, 20]])
    with pytest.raises(InputError, match="different lengths"):
        Boxes3D(1, "lidar", "lidar", centers=np.zeros((2, 3)), sizes=np.ones((1, 3)), yaws=np.zeros(2))
    with pytest.raises(InputError, match="non-positive dimension in box 0"):
        Boxes3D(1, "lidar", "lidar", centers=np.zeros((1, 3)), sizes=[[4.0, 0.0, 1.5]], yaws=[0.0])
    with pytest.raises(InputError, match="unknown class value"):
        CameraDetections(1, "cam", "cam", boxes=[[0, 0, 5, 5]], classes=[42])
    with pytest.raises(InputError, match="stamp must be int"):
        ImuSample(1.5, "imu", "imu")
    with pytest.raises(InputError, match="empty frame_id"):
        LidarPointCloud(1, "", "lidar")


def test_radar_cartesian_conversion():
    r = RadarDetections(1, "radar", "radar", range=[10.0], azimuth=[np.pi / 2], elevation=[0.0], range_rate=[0.0])
    assert np.allclose(r.to_cartesian(), [[0.0, 10.0, 0.0]], atol=1e-12)


def test_gnss_fix_validation_and_no_fix():
    with pytest.raises(InputError, match="out of range"):
        GnssFix(1, "gnss", "gnss", latitude_deg=95.0, longitude_deg=4.0)
    no_fix = GnssFix(1, "gnss", "gnss", latitude_deg=float("nan"), status=GnssStatus.NO_FIX)
    assert not no_fix.has_fix


def test_class_names_parse_from_dataset_vocabularies():
    assert ObjectClass.parse("Cyclist") is ObjectClass.BICYCLE
    assert ObjectClass.parse("car") is ObjectClass.CAR
    with pytest.raises(InputError, match="unknown class 'Tram'"):
        ObjectClass.parse("Tram")


def test_object_list_checks_rows_and_serialises():
    n = 2
    objs = ObjectList(
        stamp_ns=5, frame_id="map", track_ids=np.array([3, 9]), classes=np.array([1, 7]),
        class_probabilities=np.eye(8)[[1, 7]], position=np.zeros((n, 3)), velocity=np.ones((n, 3)),
        acceleration=np.zeros((n, 3)), yaw=np.zeros(n), yaw_rate=np.zeros(n),
        pose_covariance=np.tile(np.eye(4), (n, 1, 1)), twist_covariance=np.tile(np.eye(4), (n, 1, 1)),
        size=np.ones((n, 3)), existence_probability=np.full(n, 0.9), age_s=np.ones(n),
        status=np.array([1, 0]), sensor_mask=np.array([0b01, 0b11]), sensor_names=("lidar_top", "radar_front"),
    )
    records = objs.to_dict()["objects"]
    assert [r["class"] for r in records] == ["car", "pedestrian"]
    assert records[1]["sensors"] == ["lidar_top", "radar_front"]
    assert len(objs.select(objs.track_ids > 5)) == 1
    with pytest.raises(InputError, match="duplicate track ids"):
        ObjectList(stamp_ns=5, frame_id="map", **{k: getattr(objs, k) for k in ObjectList._ARRAYS if k != "track_ids"},
                   track_ids=np.array([3, 3]))


def test_finite_check_tells_overflow_from_bad_values_in_small_and_large_arrays():
    # Finite values whose sum overflows are fine; NaN, inf and inf - inf are found wherever they are.
    assert len(RadarDetections(1, "radar", "radar", range=[1e308, 1e308], azimuth=[0.0, 0.0], range_rate=[0.0, 0.0])) == 2
    assert len(Boxes3D(1, "lidar", "lidar", centers=np.full((40, 3), 1e308), sizes=np.ones((40, 3)), yaws=np.zeros(40))) == 40
    with pytest.raises(InputError, match=r"'azimuth' has a non-finite value at index \[0\]"):
        RadarDetections(1, "radar", "radar", range=[1.0, 2.0], azimuth=[np.inf, -np.inf], range_rate=[0.0, 0.0])
    with pytest.raises(InputError, match=r"'boxes' has a non-finite value at index \[1, 2\]"):
        CameraDetections(1, "cam", "cam", boxes=[[0.0, 0.0, 5.0, 5.0], [0.0, 0.0, np.nan, 5.0]])
    big = np.ones((100, 3))
    big[77, 1] = -np.inf
    with pytest.raises(InputError, match=r"'points' has a non-finite value at index \[77, 1\]"):
        LidarPointCloud(1, "lidar", "lidar", points=big)


def test_fixed_shapes_field_lengths_and_stamp_types_are_checked():
    with pytest.raises(InputError, match=r"'angular_velocity' must have shape 3, got \(4,\)"):
        ImuSample(1, "imu", "imu", angular_velocity=np.zeros(4))
    with pytest.raises(InputError, match=r"'linear_acceleration' must have shape 3, got \(1, 3\)"):
        ImuSample(1, "imu", "imu", linear_acceleration=np.zeros((1, 3)))
    with pytest.raises(InputError, match=r"'intensity' must have shape 2, got \(3,\)"):
        LidarPointCloud(1, "lidar", "lidar", points=np.zeros((2, 3)), fields={"intensity": np.zeros(3)})
    with pytest.raises(InputError, match=r"different lengths: \{'range': 2, 'azimuth': 2, 'elevation': 2, 'range_rate': 1"):
        RadarDetections(1, "radar", "radar", range=[1.0, 2.0], azimuth=[0.0, 0.0], range_rate=[0.0])
    with pytest.raises(InputError, match="'range' has a negative value at index 1"):
        RadarDetections(1, "radar", "radar", range=[1.0, -2.0], azimuth=[0.0, 0.0], range_rate=[0.0, 0.0])
    with pytest.raises(InputError, match=r"box 1 has x2 < x1 or y2 < y1: \[0.0, 9.0, 5.0, 8.0\]"):
        CameraDetections(1, "cam", "cam", boxes=[[0.0, 0.0, 5.0, 5.0], [0.0, 9.0, 5.0, 8.0]])
    with pytest.raises(InputError, match=r"unknown class value\(s\) \[9, 42\]"):
        CameraDetections(1, "cam", "cam", boxes=np.zeros((3, 4)), classes=[42, 1, 9])
    with pytest.raises(InputError, match="stamp must be int nanoseconds, got bool"):
        ImuSample(True, "imu", "imu")
    sample = ImuSample(np.int64(7), "imu", "imu")
    assert sample.stamp_ns == 7 and type(sample.stamp_ns) is int
    with pytest.raises(InputError, match=r"sensor 'cam' \(frame 'cam', stamp 3\): field 'scores' is not numeric"):
        CameraDetections(3, "cam", "cam", boxes=np.zeros((1, 4)), scores=["high"])
