"""Config loading: the shipped configs are valid, and each kind of mistake is named by file and key path."""
from pathlib import Path

import pytest
import yaml

from fusion.config.loader import load_config, parse_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.errors import ConfigError

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def vehicle_data():
    return yaml.safe_load((CONFIGS / "vehicle.yaml").read_text())["/**"]["ros__parameters"]


def write(tmp_path, data, name="vehicle.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"/**": {"ros__parameters": data}}))
    return path


def problems_of(tmp_path, data):
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_config(path, VehicleConfig)
    assert str(path) in str(err.value)
    return err.value.problems


def test_default_vehicle_loads_with_all_sensor_kinds():
    v = load_config(CONFIGS / "vehicle.yaml", VehicleConfig)
    kinds = {s.kind for s in v.sensors.values()}
    assert kinds == {"camera", "radar", "lidar", "imu", "gnss"}
    tree = v.transform_tree()
    for s in v.sensors.values():
        assert tree.can_transform("base_link", s.frame_id)


def test_misspelt_key_is_named_with_its_path(tmp_path):
    data = vehicle_data()
    data["sensors"]["radar_front"]["max_rang_m"] = data["sensors"]["radar_front"].pop("max_range_m")
    problems = problems_of(tmp_path, data)
    assert any(p.startswith("sensors.radar_front.max_rang_m: unknown key") for p in problems), problems


def test_wrong_type_and_out_of_range(tmp_path):
    data = vehicle_data()
    data["sensors"]["imu"]["rate_hz"] = "fast"
    data["sensors"]["camera_front"]["detection_probability"] = 1.5
    problems = problems_of(tmp_path, data)
    assert any(p.startswith("sensors.imu.rate_hz:") and "'fast'" in p for p in problems), problems
    assert any(p.startswith("sensors.camera_front.detection_probability:") and "1.5" in p for p in problems), problems


def test_missing_key_and_unknown_kind(tmp_path):
    data = vehicle_data()
    del data["sensors"]["lidar_top"]["mount"]
    data["sensors"]["sonar"] = {"kind": "sonar", "frame_id": "sonar", "rate_hz": 5.0,
                                "mount": {"translation": [0.0, 0.0, 0.0]}}
    problems = problems_of(tmp_path, data)
    assert any(p == "sensors.lidar_top.mount: required key is missing" for p in problems), problems
    assert any(p.startswith("sensors.sonar") and "sonar" in p for p in problems), problems


def test_missing_parent_frame_is_named(tmp_path):
    data = vehicle_data()
    data["sensors"]["gnss"]["mount"]["parent_frame"] = "base_lnik"
    problems = problems_of(tmp_path, data)
    assert problems == [p for p in problems if p.startswith("sensors.gnss.mount.parent_frame: unknown frame 'base_lnik'")]


def test_duplicate_frame_ids(tmp_path):
    data = vehicle_data()
    data["sensors"]["radar_front_left"]["frame_id"] = "radar_front"
    problems = problems_of(tmp_path, data)
    assert any("sensors.radar_front_left.frame_id" in p and "already used" in p for p in problems), problems


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("vehicle:\n  name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"line \d+, column \d+: YAML syntax error"):
        load_config(path, VehicleConfig)


def test_missing_file_and_non_mapping():
    with pytest.raises(ConfigError, match="cannot read file"):
        load_config("/nonexistent/vehicle.yaml", VehicleConfig)
    with pytest.raises(ConfigError, match="expected a mapping"):
        parse_config([1, 2, 3], VehicleConfig, "inline")


def test_plain_mapping_is_accepted_as_well_as_ros_params_form():
    plain = parse_config(vehicle_data(), VehicleConfig, "inline")
    assert plain == load_config(CONFIGS / "vehicle.yaml", VehicleConfig)
