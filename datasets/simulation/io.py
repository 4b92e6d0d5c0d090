"""Save a Scenario to a directory and read it back identically.

The directory holds `scenario.npz` (compressed numpy arrays: every measurement kind's rows
concatenated over its events, the ground truth, the ego trajectory) and `manifest.json` (format
version, both configs, the map origin, sensor and frame names, counts). The manifest is written
last, so a directory with a manifest is complete.
"""
from __future__ import annotations

import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from datasets.simulation.config import ScenarioConfig
from datasets.simulation.ego_trajectory import EgoTrajectory
from datasets.simulation.scenario import Scenario, SensorEvent, TruthFrame
from fusion.config.loader import parse_config
from fusion.config.vehicle import VehicleConfig
from fusion.core.errors import InputError
from fusion.core.measurements import Boxes3D, CameraDetections, GnssFix, ImuSample, LidarPointCloud, RadarDetections
from fusion.ego.geodesy import GeodeticOrigin
from fusion.ego.wheel_speed import WheelSpeed

FORMAT = "taishan-scenario"
VERSION = 1
MANIFEST = "manifest.json"
ARRAYS = "scenario.npz"

# kind name -> (measurement type, fields stored per row, whether one event is one row)
KINDS: dict[str, tuple[type, tuple[str, ...], bool]] = {
    "camera": (CameraDetections, ("boxes", "classes", "scores"), False),
    "radar": (RadarDetections, ("range", "azimuth", "elevation", "range_rate", "rcs"), False),
    "boxes3d": (Boxes3D, ("centers", "sizes", "yaws", "classes", "scores", "velocities"), False),
    "cloud": (LidarPointCloud, ("points",), False),
    "imu": (ImuSample, ("angular_velocity", "linear_acceleration"), True),
    "gnss": (GnssFix, ("latitude_deg", "longitude_deg", "altitude_m", "position_covariance", "covariance_type", "status", "velocity_enu"), True),
    "wheel_speed": (WheelSpeed, ("speed_mps", "std_mps"), True),
}
OPTIONAL_VECTORS = {"velocities", "velocity_enu"}   # may be None; stored as NaN rows with a per-event flag
KIND_OF = {cls: name for name, (cls, _, _) in KINDS.items()}
TRUTH_FIELDS = ("track_ids", "classes", "centers", "velocities", "yaws", "sizes", "visible")


def _encode_kind(name: str, events: list[SensorEvent], arrays: dict[str, np.ndarray]) -> list[str]:
    """Concatenate one kind's rows into arrays[f'{name}/{field}']; return the point-cloud field names."""
    _, names, single = KINDS[name]
    rows = [1 if single else len(e.measurement) for e in events]
    if not single:
        arrays[f"{name}/length"] = np.array(rows, dtype=np.int64)
    for field in names:
        parts = []
        for e, n in zip(events, rows):
            value = getattr(e.measurement, field)
            if value is None:
                value = np.full((n, 3), np.nan)
            parts.append(np.asarray(value)[None] if single else np.asarray(value))
        arrays[f"{name}/{field}"] = np.concatenate(parts) if parts else np.zeros(0)
        if field in OPTIONAL_VECTORS:
            arrays[f"{name}/{field}.present"] = np.array([getattr(e.measurement, field) is not None for e in events], dtype=bool)
    if name in ("camera", "radar", "boxes3d"):
        arrays[f"{name}/truth_ids"] = np.concatenate(
            [e.truth_ids if e.truth_ids is not None else np.full(n, -1, dtype=np.int64) for e, n in zip(events, rows)]
        ) if events else np.zeros(0, dtype=np.int64)
    cloud_fields: list[str] = []
    if name == "cloud" and events:
        cloud_fields = sorted(events[0].measurement.fields)
        for e in events:
            if sorted(e.measurement.fields) != cloud_fields:
                raise InputError(f"scenario event {e.sensor_id!r} at {e.stamp_ns}",
                                 f"point cloud fields {sorted(e.measurement.fields)} differ from the first cloud's {cloud_fields}")
        for f in cloud_fields:
            arrays[f"cloud/field.{f}"] = np.concatenate([e.measurement.fields[f] for e in events])
        for key in [k for k in arrays if k.startswith("cloud/")]:
            arrays[key] = _compact(arrays[key])
    return cloud_fields


def _compact(values: np.ndarray) -> np.ndarray:
    """float32 where that loses nothing (lidar drivers deliver float32 points; loading restores float64)."""
    if values.dtype == np.float64:
        small = values.astype(np.float32)
        if np.array_equal(small, values, equal_nan=True):
            return small
    return values


def save_scenario(scenario: Scenario, directory: str | Path) -> Path:
    """Write the scenario into `directory` (created if needed); returns the manifest's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    events = scenario.events
    sensors = sorted({e.sensor_id for e in events})
    frames = sorted({e.measurement.frame_id for e in events})
    kinds = list(KINDS)
    arrays: dict[str, np.ndarray] = {
        "events/arrival_ns": np.array([e.arrival_ns for e in events], dtype=np.int64),
        "events/stamp_ns": np.array([e.stamp_ns for e in events], dtype=np.int64),
        "events/kind": np.array([kinds.index(KIND_OF[type(e.measurement)]) for e in events], dtype=np.int8),
        "events/sensor": np.array([sensors.index(e.sensor_id) for e in events], dtype=np.int32),
        "events/frame": np.array([frames.index(e.measurement.frame_id) for e in events], dtype=np.int32),
        "events/has_truth": np.array([e.truth_ids is not None for e in events], dtype=bool),
    }
    cloud_fields: list[str] = []
    for name in kinds:
        found = _encode_kind(name, [e for e in events if KIND_OF[type(e.measurement)] == name], arrays)
        cloud_fields = found or cloud_fields
    truth = scenario.truth
    arrays["truth/stamp_ns"] = np.array([f.stamp_ns for f in truth], dtype=np.int64)
    arrays["truth/count"] = np.array([len(f.track_ids) for f in truth], dtype=np.int64)
    for field in TRUTH_FIELDS:
        arrays[f"truth/{field}"] = np.concatenate([getattr(f, field) for f in truth]) if truth else np.zeros(0)
    for f in fields(EgoTrajectory):
        arrays[f"ego/{f.name}"] = getattr(scenario.ego, f.name)

    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "scenario_config": scenario.config.model_dump(),
        "vehicle_config": scenario.vehicle.model_dump(),
        "origin": list(scenario.origin),
        "sensors": sensors,
        "frames": frames,
        "cloud_fields": cloud_fields,
        "counts": scenario.counts_by_sensor(),
        "truth_frames": len(truth),
    }
    partial = directory / (ARRAYS + ".partial")
    with open(partial, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    os.replace(partial, directory / ARRAYS)
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return directory / MANIFEST


def _decode_events(arrays: Any, manifest: dict[str, Any]) -> list[SensorEvent]:
    kinds = list(KINDS)
    kind_codes, sensor_codes, frame_codes = arrays["events/kind"], arrays["events/sensor"], arrays["events/frame"]
    has_truth = arrays["events/has_truth"]
    columns = {key: arrays[key] for key in arrays.files if not key.startswith(("events/", "truth/", "ego/"))}
    next_row = dict.fromkeys(kinds, 0)
    next_event = dict.fromkeys(kinds, 0)
    events = []
    for k, (arrival, stamp) in enumerate(zip(arrays["events/arrival_ns"].tolist(), arrays["events/stamp_ns"].tolist())):
        name = kinds[int(kind_codes[k])]
        cls, names, single = KINDS[name]
        start, index = next_row[name], next_event[name]
        if single:
            rows = slice(start, start + 1)
            values = {f: columns[f"{name}/{f}"][start] for f in names}
            values = {f: v.item() if np.ndim(v) == 0 else v for f, v in values.items()}
            n = 1
        else:
            n = int(columns[f"{name}/length"][index])
            rows = slice(start, start + n)
            values = {f: columns[f"{name}/{f}"][rows] for f in names}
        for f in OPTIONAL_VECTORS & set(names):
            if not columns[f"{name}/{f}.present"][index]:
                values[f] = None
        if name == "cloud":
            values["fields"] = {f: columns[f"cloud/field.{f}"][rows] for f in manifest["cloud_fields"]}
        measurement = cls(stamp, manifest["frames"][frame_codes[k]], manifest["sensors"][sensor_codes[k]], **values)
        truth_ids = columns[f"{name}/truth_ids"][rows] if has_truth[k] else None
        events.append(SensorEvent(arrival, measurement, truth_ids))
        next_row[name] += n
        next_event[name] += 1
    return events


def load_scenario(directory: str | Path) -> Scenario:
    """Read a scenario written by save_scenario."""
    directory = Path(directory)
    manifest_path = directory / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except OSError as exc:
        raise InputError(str(manifest_path), f"cannot read scenario manifest: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(manifest_path), f"not valid JSON: {exc}") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise InputError(str(manifest_path), f"not a {FORMAT} version {VERSION} manifest (format {manifest.get('format')!r}, version {manifest.get('version')!r})")
    config = parse_config(manifest["scenario_config"], ScenarioConfig, f"{manifest_path}: scenario_config")
    vehicle = parse_config(manifest["vehicle_config"], VehicleConfig, f"{manifest_path}: vehicle_config")
    try:
        with np.load(directory / ARRAYS) as arrays:
            events = _decode_events(arrays, manifest)
            counts = arrays["truth/count"]
            bounds = np.concatenate([[0], np.cumsum(counts)])
            columns = {f: arrays[f"truth/{f}"] for f in TRUTH_FIELDS}
            truth = [TruthFrame(int(stamp), **{f: columns[f][bounds[i]:bounds[i + 1]] for f in TRUTH_FIELDS})
                     for i, stamp in enumerate(arrays["truth/stamp_ns"].tolist())]
            ego = EgoTrajectory(**{f.name: arrays[f"ego/{f.name}"] for f in fields(EgoTrajectory)})
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(str(directory / ARRAYS), f"cannot read scenario arrays: {exc}") from None
    return Scenario(config, vehicle, events, truth, ego, GeodeticOrigin(*manifest["origin"]))
