"""KITTI readers and writers: round trips, and malformed input reported by file and line."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from datasets.kitti.calibration import read_calibration
from datasets.kitti.detections import read_pointrcnn, read_rrc
from datasets.kitti.frames import flu_to_kitti_boxes, kitti_to_flu_boxes, observation_angle
from datasets.kitti.layout import read_seqmap
from datasets.kitti.objects import KittiObjects, read_tracking_file, write_tracking_file
from fusion.core.errors import InputError

LABELS = """\
0 -1 DontCare -1 -1 -10.000000 219.310000 188.490000 245.500000 218.560000 -1000.000000 -1000.000000 -1000.000000 -10.000000 -1.000000 -1.000000 -1.000000
0 0 Van 0 0 -1.793451 296.744956 161.752147 455.226042 292.372804 2.000000 1.823255 4.433886 -4.552284 1.858523 13.410495 -2.115488
1 1 Cyclist 1 2 -1.936993 737.619499 161.531951 931.112229 374.000000 1.739063 0.824591 1.785241 1.640400 1.675660 5.776261 -1.675458
"""
POINTRCNN = """\
0,2,298.3125,165.1800,458.2292,293.4391,8.2981,1.9605,1.8137,4.7549,-4.5720,1.8435,13.5308,-2.1125,-1.7867
3,2,1050.4751,177.0771,1241.0000,239.3750,1.3104,1.4905,1.6289,4.0662,13.6684,1.6046,18.4125,-0.1005,-0.7391
"""
CALIB = """\
P0: 7.215377e+02 0 6.095593e+02 0 0 7.215377e+02 1.728540e+02 0 0 0 1 0
P1: 7.215377e+02 0 6.095593e+02 -3.875744e+02 0 7.215377e+02 1.728540e+02 0 0 0 1 0
P2: 7.215377e+02 0 6.095593e+02 4.485728e+01 0 7.215377e+02 1.728540e+02 2.163791e-01 0 0 1 2.745884e-03
P3: 7.215377e+02 0 6.095593e+02 -3.395242e+02 0 7.215377e+02 1.728540e+02 2.199936e+00 0 0 1 2.729905e-03
{rect} 9.999239e-01 9.837760e-03 -7.445048e-03 -9.869795e-03 9.999421e-01 -4.278459e-03 7.402527e-03 4.351614e-03 9.999631e-01
{velo} 7.533745e-03 -9.999714e-01 -6.166020e-04 -4.069766e-03 1.480249e-02 7.280733e-04 -9.998902e-01 -7.631618e-02 9.998621e-01 7.523790e-03 1.480755e-02 -2.717806e-01
{imu} 9.999976e-01 7.553071e-04 -2.035826e-03 -8.086759e-01 -7.854027e-04 9.998898e-01 -1.482298e-02 3.195559e-01 2.024406e-03 1.482454e-02 9.998881e-01 -7.997231e-01
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(InputError) as err:
        call(*args, **kwargs)
    return str(err.value)


def test_labels_read_and_results_round_trip(tmp_path):
    labels = read_tracking_file(write(tmp_path, "labels.txt", LABELS), n_frames=2)
    assert len(labels) == 3
    assert labels.types.tolist() == ["DontCare", "Van", "Cyclist"]
    assert labels.track_ids.tolist() == [-1, 0, 1]
    assert np.isnan(labels.scores).all()  # ground truth has no score column
    np.testing.assert_allclose(labels.locations[1], [-4.552284, 1.858523, 13.410495])
    tracks = labels.select(labels.track_ids >= 0)
    tracks.scores = np.array([0.75, 0.5])
    out = tmp_path / "data" / "0000.txt"
    write_tracking_file(out, tracks)
    assert all(len(line.split()) == 18 for line in out.read_text().splitlines())
    back = read_tracking_file(out)
    for name in ("frames", "track_ids", "types", "occluded", "scores"):
        assert getattr(back, name).tolist() == getattr(tracks, name).tolist()
    for name in ("alpha", "boxes_2d", "dimensions", "locations", "rotation_y", "truncated"):
        np.testing.assert_allclose(getattr(back, name), getattr(tracks, name), atol=1e-4)


def test_empty_result_file_round_trips(tmp_path):
    out = tmp_path / "0001.txt"
    write_tracking_file(out, KittiObjects.empty())
    assert out.read_text() == ""
    assert len(read_tracking_file(out)) == 0


@pytest.mark.parametrize("line, problem", [
    ("0 1 Car 0 0 -1.5 1 2 3 4 1.5 1.6 3.9 0 1.7 10", "expected 17 to 18 fields"),
    ("0 1 Car 0 0 -1.5 1 2 3 4 1.5 1.6 3.9 0 1.7 ten -1.5", "column 'z' is not a number: 'ten'"),
    ("0 1 Car 0 0 -1.5 1 2 3 4 1.5 1.6 3.9 0 1.7 nan -1.5", "column 'z' is not finite"),
    ("0 1 Spaceship 0 0 -1.5 1 2 3 4 1.5 1.6 3.9 0 1.7 10 -1.5", "unknown object type 'Spaceship'"),
    ("7 1 Car 0 0 -1.5 1 2 3 4 1.5 1.6 3.9 0 1.7 10 -1.5", "frame 7 out of range (the sequence has frames 0..4)"),
    ("0 -2 Car 0 0 -1.5 1 2 3 4 1.5 1.6 3.9 0 1.7 10 -1.5", "track id -2 is below -1"),
    ("0 1 Car 0 0 -1.5 9 2 3 4 1.5 1.6 3.9 0 1.7 10 -1.5", "x2 < x1"),
])
def test_malformed_label_line_is_named_by_file_and_line(tmp_path, line, problem):
    path = write(tmp_path, "labels.txt", LABELS + line + "\n")
    message = error_of(read_tracking_file, path, n_frames=5)
    assert f"{path}:4:" in message and problem in message


def test_pointrcnn_detections(tmp_path):
    dets = read_pointrcnn(write(tmp_path, "car.txt", POINTRCNN), n_frames=5, expected_type="Car")
    assert dets.types.tolist() == ["Car", "Car"] and dets.frames.tolist() == [0, 3]
    assert (dets.track_ids == -1).all()
    np.testing.assert_allclose(dets.scores, [8.2981, 1.3104])
    np.testing.assert_allclose(dets.dimensions[0], [1.9605, 1.8137, 4.7549])
    np.testing.assert_allclose(dets.locations[1], [13.6684, 1.6046, 18.4125])


@pytest.mark.parametrize("line, problem", [
    ("1,7,1,2,3,4,0.5,1.5,1.6,3.9,0,1.7,10,-1.5,0.1", "unknown PointRCNN class 7"),
    ("1,1,1,2,3,4,0.5,1.5,1.6,3.9,0,1.7,10,-1.5,0.1", "class 1 (Pedestrian) in a Car detection file"),
    ("1,2,1,2,3,4,0.5,1.5,1.6,3.9,0,1.7,10,-1.5", "expected 15 comma-separated fields"),
    ("1,2,1,2,3,4,0.5,0,1.6,3.9,0,1.7,10,-1.5,0.1", "dimensions h w l must be positive"),
    ("9,2,1,2,3,4,0.5,1.5,1.6,3.9,0,1.7,10,-1.5,0.1", "frame 9 out of range"),
])
def test_malformed_pointrcnn_line(tmp_path, line, problem):
    path = write(tmp_path, "car.txt", POINTRCNN + line + "\n")
    message = error_of(read_pointrcnn, path, n_frames=5, expected_type="Car")
    assert f"{path}:3:" in message and problem in message


def test_rrc_detections_and_errors(tmp_path):
    dets = read_rrc(write(tmp_path, "car.txt", "0,296.0,160.1,452.3,288.4,0.53\n\n2,1.0,2.0,3.0,4.0,0.9\n"), "Car", n_frames=3)
    assert dets.frames.tolist() == [0, 2] and dets.type == "Car"
    np.testing.assert_allclose(dets.boxes[1], [1, 2, 3, 4])
    path = write(tmp_path, "bad.txt", "0,296.0,160.1,452.3,288.4,0.53\n1,296.0,160.1,452.3\n")
    assert f"{path}:2:" in error_of(read_rrc, path, "Car")
    assert "file not found" in error_of(read_rrc, tmp_path / "absent.txt", "Car")


@pytest.mark.parametrize("names", [("R0_rect:", "Tr_velo_to_cam:", "Tr_imu_to_velo:"), ("R_rect", "Tr_velo_cam", "Tr_imu_velo")])
def test_calibration_reads_both_key_spellings(tmp_path, names):
    cal = read_calibration(write(tmp_path, "calib.txt", CALIB.format(rect=names[0], velo=names[1], imu=names[2])))
    assert cal.P.shape == (4, 3, 4) and cal.P[2, 0, 3] == pytest.approx(44.85728)
    assert cal.R0_rect[0, 0] == pytest.approx(0.9999239)
    assert cal.Tr_velo_to_cam[2, 3] == pytest.approx(-0.2717806)
    assert cal.Tr_imu_to_velo[0, 3] == pytest.approx(-0.8086759)
    # a velodyne point 10 m ahead lies about 10 m in front of the rectified camera (z forward)
    assert cal.velo_to_rect(np.array([10.0, 0.0, 0.0]))[0, 2] == pytest.approx(9.73, abs=0.05)


def test_calibration_errors(tmp_path):
    assert "calibration file not found" in error_of(read_calibration, tmp_path / "none.txt")
    no_p2 = "\n".join(line for line in CALIB.format(rect="R0_rect:", velo="Tr_velo_to_cam:", imu="Tr_imu_to_velo:").splitlines()
                      if not line.startswith("P2"))
    assert "lacks P2" in error_of(read_calibration, write(tmp_path, "a.txt", no_p2))
    short = CALIB.format(rect="R0_rect: 1 0 0", velo="Tr_velo_to_cam:", imu="Tr_imu_to_velo:")
    path = write(tmp_path, "b.txt", short)
    assert f"{path}:5:" in error_of(read_calibration, path)


def test_seqmap(tmp_path):
    entries = read_seqmap(write(tmp_path, "seqmap.txt", "0000 empty 000000 000154\n0002 empty 000000 000233\n"))
    assert [(e.name, e.first_frame, e.n_frames) for e in entries] == [("0000", 0, 154), ("0002", 0, 233)]
    path = write(tmp_path, "bad.txt", "0000 empty 000000 000154\n0002 empty 000000\n")
    assert f"{path}:2:" in error_of(read_seqmap, path)
    assert "listed twice" in error_of(read_seqmap, write(tmp_path, "dup.txt", "0000 empty 0 5\n0000 empty 0 5\n"))
    assert "no sequence" in error_of(read_seqmap, write(tmp_path, "empty.txt", "\n"))


def test_box_convention_round_trip_and_axes():
    rng = np.random.default_rng(3)
    dims = rng.uniform(0.5, 5, (20, 3))
    locations = rng.uniform(-20, 20, (20, 3))
    rotation_y = rng.uniform(-np.pi, np.pi, 20)
    centers, sizes, yaws = kitti_to_flu_boxes(dims, locations, rotation_y)
    back = flu_to_kitti_boxes(centers, sizes, yaws)
    np.testing.assert_allclose(back[0], dims)
    np.testing.assert_allclose(back[1], locations, atol=1e-12)
    np.testing.assert_allclose(np.angle(np.exp(1j * (back[2] - rotation_y))), 0, atol=1e-12)
    # a car 10 m ahead, 2 m to the right, on the ground 1.7 m below the camera, heading forward
    c, s, y = kitti_to_flu_boxes([[1.5, 1.6, 4.0]], [[2.0, 1.7, 10.0]], [-np.pi / 2])
    np.testing.assert_allclose(c[0], [10.0, -2.0, -1.7 + 0.75])
    np.testing.assert_allclose(s[0], [4.0, 1.6, 1.5])
    assert y[0] == pytest.approx(0.0)
    assert observation_angle([[0.0, 1.7, 10.0]], [-np.pi / 2])[0] == pytest.approx(-np.pi / 2)
