"""ROS parameters derived from the config schemas (fusion.ros.parameter_schema); no rclpy needed."""
from __future__ import annotations

import math
from typing import Annotated, Literal

import pytest
import yaml
from pydantic import Field

from fusion.config.loader import StrictModel, config_dir, parse_config, unwrap_ros_parameters
from fusion.ego.config import EgoConfig
from fusion.graph.config import GraphConfig
from fusion.ros.parameter_schema import MappingSpec, ParameterSpec, expand, nest, parameter_specs, range_of
from fusion.ros.settings import NodeSettings, SensorNodeSettings
from fusion.tracking.config import TrackerConfig
from sensors.lidar.detector import LidarDetectorConfig
from sensors.radar.frontend import RadarFrontEndConfig

# Every schema a ROS node declares (fusion/ros/*_node.py), and its shipped params file if any.
NODE_SCHEMAS = {TrackerConfig: "tracker.yaml", EgoConfig: "ego.yaml", GraphConfig: "graph.yaml", LidarDetectorConfig: None,
                RadarFrontEndConfig: None, NodeSettings: None, SensorNodeSettings: None}


def by_name(model) -> dict[str, ParameterSpec]:
    return {s.name: s for s in expand(parameter_specs(model), [])}


def flatten(data: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


class Motion(StrictModel):
    model: Literal["cv", "ca"] = "cv"
    accel_psd: Annotated[float, Field(gt=0.0)] = 2.0   # m^2/s^3
    hits: Annotated[int, Field(ge=1, le=32)] = 3
    tentative: bool = False


class Example(StrictModel):
    """A schema of every kind of field a node declares."""

    frame_id: str = Field(default="map", min_length=1)   # fixed frame
    motion: Motion = Motion()
    sensors: list[str] = []
    groups: dict[str, list[str]] = {"vehicle": ["car", "truck"], "pedestrian": ["pedestrian"]}


def test_types_ranges_choices_and_descriptions_come_from_the_schema() -> None:
    specs = by_name(Example)
    psd = specs["motion.accel_psd"]
    assert (psd.kind, psd.default, psd.minimum, psd.maximum) == ("double", 2.0, 0.0, None)
    assert psd.description == "m^2/s^3; range [0, inf]; > 0"   # the source comment, then the bounds
    assert range_of(psd) == (0.0, math.inf)
    hits = specs["motion.hits"]
    assert (hits.kind, hits.default, range_of(hits)) == ("integer", 3, (1, 32))
    model = specs["motion.model"]
    assert (model.kind, model.choices, model.description) == ("string", ("cv", "ca"), "one of: cv, ca")
    assert specs["motion.tentative"].kind == "bool"
    assert (specs["frame_id"].constraints, specs["frame_id"].description) == ("length >= 1", "fixed frame; length >= 1")
    assert (specs["sensors"].kind, specs["sensors"].default) == ("string_array", [])


def test_dict_fields_get_one_parameter_per_key_including_new_ones() -> None:
    (mapping,) = [s for s in parameter_specs(Example) if isinstance(s, MappingSpec)]
    assert mapping.prefix == "groups"
    names = [s.name for s in expand([mapping], ["groups.animals", "motion.model"])]
    assert names == ["groups.vehicle", "groups.pedestrian", "groups.animals"]
    animals = expand([mapping], ["groups.animals"])[-1]
    assert (animals.kind, animals.default) == ("string_array", None)


@pytest.mark.parametrize("model", list(NODE_SCHEMAS), ids=lambda m: m.__name__)
def test_defaults_nest_back_into_the_default_config(model) -> None:
    values = {s.name: s.default for s in expand(parameter_specs(model), []) if s.default is not None}
    assert parse_config(nest(values), model, "defaults") == model()


@pytest.mark.parametrize("model,file", [(m, f) for m, f in NODE_SCHEMAS.items() if f], ids=lambda x: getattr(x, "__name__", x))
def test_every_key_of_the_shipped_params_file_is_a_declared_parameter(model, file) -> None:
    given = flatten(unwrap_ros_parameters(yaml.safe_load((config_dir() / file).read_text())))
    declared = {s.name: s for s in expand(parameter_specs(model), given)}
    assert set(given) <= set(declared), set(given) - set(declared)
    for name, value in given.items():   # ROS types: a double parameter needs 2.0, not 2
        kind = declared[name].kind
        scalar = {"bool": bool, "integer": int, "double": float, "string": str}[kind.removesuffix("_array")]
        items = value if kind.endswith("_array") else [value]
        assert all(type(v) is scalar for v in items), f"{file}: {name} = {value!r} is not {kind}"


def test_nest_builds_the_mapping_a_params_file_holds() -> None:
    assert nest({"a.b.c": 1, "a.d": 2, "e": 3}) == {"a": {"b": {"c": 1}, "d": 2}, "e": 3}
