"""The tracker config: the shipped file loads, problems are reported with their key paths."""
from __future__ import annotations

import pytest

from fusion.config.loader import parse_config
from fusion.core.errors import ConfigError
from fusion.tracking.config import TrackerConfig, load_tracker_config


def test_shipped_config_loads_and_matches_the_schema_defaults():
    assert load_tracker_config() == TrackerConfig()


@pytest.mark.parametrize("data,path", [
    ({"motion": {"modle": "cv"}}, "motion.modle: unknown key"),
    ({"motion": {"model": "bicycle"}}, "motion.model"),
    ({"management": {"confirm_hits": 6, "confirm_window": 5}}, "management.confirm_hits: must not exceed"),
    ({"filter": {"kind": "kf"}, "motion": {"model": "ctrv"}}, "filter.kind: kf needs a linear motion model"),
    ({"filter": {"kind": "kf"}}, "sensors.radar.enabled: the radar measurement model is nonlinear"),
    ({"sensors": {"camera": {"initiate": True}}}, "sensors.camera.initiate"),
    ({"sensors": {"radar": {"geometric": "iou_3d"}}}, "sensors.radar.geometric"),
    ({"sensors": {"lidar": {"cost": "geometric"}}}, "sensors.lidar.cost"),
    ({"association": {"class_groups": {"vehicle": ["car", "spaceship"]}}}, "association.class_groups.vehicle[1]"),
    ({"association": {"gate_probability": 1.5}}, "association.gate_probability"),
    ({"sensors": {"radar": {"rcs_class_dbsm": {"dragon": 3.0}}}}, "sensors.radar.rcs_class_dbsm.dragon: unknown class"),
])
def test_invalid_configs_name_the_key(data, path):
    with pytest.raises(ConfigError, match=path.replace("[", r"\[").replace("]", r"\]")) as err:
        parse_config(data, TrackerConfig, "tracker.yaml")
    assert "tracker.yaml" in str(err.value)


def test_ros_params_file_format(tmp_path):
    file = tmp_path / "t.yaml"
    file.write_text("/**:\n  ros__parameters:\n    frame_id: odom\n    motion: {model: imm}\n")
    config = load_tracker_config(file)
    assert config.frame_id == "odom" and config.motion.model == "imm"
