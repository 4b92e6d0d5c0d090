"""The scenario config and `taishan simulate`: invalid configs are rejected naming the key path; the
command writes a scenario that loads back identically."""
from __future__ import annotations

import pytest
import yaml
from sim_helpers import assert_same_events, same_value

from datasets.simulation.config import ScenarioConfig, load_scenario_config
from datasets.simulation.io import load_scenario, save_scenario
from fusion.cli import main
from fusion.config.loader import config_dir, parse_config
from fusion.core.errors import ConfigError, InputError


def _write(tmp_path, text: str):
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


def test_shipped_config_is_valid_and_ros_params_shaped():
    raw = yaml.safe_load((config_dir() / "scenario.yaml").read_text())
    assert list(raw) == ["/**"] and list(raw["/**"]) == ["ros__parameters"]
    config = load_scenario_config()
    assert config.duration_s > 0 and config.traffic.cars > 0


@pytest.mark.parametrize("text, key", [
    ("traffic: {carz: 3}", "traffic.carz"),
    ("ego: {lane: 7}", "ego.lane"),
    ("road: {crossing_x_m: 20.0}", "road.crossing_x_m"),
    ("traffic: {car_speed_mps: [14.0, 9.0]}", "traffic.car_speed_mps"),
    ("gnss_outages: {start_s: [1.0, 5.0], duration_s: [2.0]}", "gnss_outages.duration_s"),
    ("duration_s: -1.0", "duration_s"),
    ("ego: {route: loop}", "ego.route"),
])
def test_invalid_config_is_rejected_with_its_key_path(tmp_path, text, key):
    with pytest.raises(ConfigError) as error:
        load_scenario_config(_write(tmp_path, text))
    assert key in str(error.value) and str(tmp_path) in str(error.value)


def test_config_survives_a_round_trip_through_its_dump():
    config = load_scenario_config()
    assert parse_config(config.model_dump(), ScenarioConfig, "dump") == config


def test_save_load_round_trip_is_identical(short_scenario, tmp_path):
    save_scenario(short_scenario, tmp_path / "scene")
    back = load_scenario(tmp_path / "scene")
    assert_same_events(short_scenario.events, back.events)
    assert len(back.truth) == len(short_scenario.truth)
    for a, b in zip(short_scenario.truth, back.truth):
        assert all(same_value(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    assert all(same_value(getattr(short_scenario.ego, f), getattr(back.ego, f)) for f in short_scenario.ego.__dataclass_fields__)
    assert (back.config, back.vehicle, back.origin) == (short_scenario.config, short_scenario.vehicle, short_scenario.origin)


def test_loading_something_else_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="manifest"):
        load_scenario(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": "other"}')
    with pytest.raises(InputError, match="taishan-scenario"):
        load_scenario(tmp_path)


def test_simulate_command_writes_a_loadable_scenario(tmp_path, capsys):
    out = tmp_path / "scene"
    assert main(["simulate", "--duration", "1.5", "--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and "radar_front" in printed and "car" in printed
    scenario = load_scenario(out)
    assert scenario.config.seed == 3 and scenario.config.duration_s == 1.5
    assert scenario.counts_by_sensor()["camera_front"] > 0


def test_simulate_command_rejects_a_bad_config(tmp_path, capsys):
    bad = _write(tmp_path, "/**:\n  ros__parameters:\n    traffic: {carz: 3}\n")
    assert main(["simulate", "--config", str(bad), "--out", str(tmp_path / "x")]) == 2
    assert "traffic.carz" in capsys.readouterr().err
    assert main(["simulate", "--duration", "0", "--out", str(tmp_path / "x")]) == 2
    assert "duration_s" in capsys.readouterr().err
