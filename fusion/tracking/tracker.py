"""MultiObjectTracker: the middleware-free multi-sensor tracker the ROS node and the replay runner drive.

    tracker = MultiObjectTracker(config, vehicle, tree)
    tracker.process(measurement)      # Boxes3D / RadarDetections / CameraDetections, in arrival order
    objects = tracker.object_list(stamp_ns)
    tracker.diagnostics()

A stage outside the tracker that judges tracks by its own means (e.g. the camera fusion stage matching
projected tracks with camera boxes) reaches them through the public evidence API, never the track
table's internals: `add_evidence_sensor(name)` names it in the sensor mask (its bit) once;
`apply_evidence(name, visible, hits, ...)` counts its hits and misses in the tracks' life cycle
(confirmation M of N, existence, misses, status); `retire(rows)` ends tracks whose identity passed on.

Tracks live in one fixed frame (`config.frame_id`). In a world frame such as `map`, the transform
tree must hold map -> base_link (the ego pose); every measurement frame is looked up at the
measurement's own stamp, which is the ego-motion compensation, and the sensor's velocity in the
tracking frame (for radar range rate) is the finite difference of those lookups. In a frame fixed
to the vehicle or a sensor (e.g. KITTI without ego poses) no ego pose is needed.

Asynchrony: measurements wait in a reorder buffer `timing.reorder_window_s` behind the newest stamp
seen and are processed in stamp order, each after predicting all tracks to its stamp; anything older
than what was processed is rejected and counted. `flush(until_ns)` releases the buffer up to a stamp
(end of data, or a synchronous loop); `step(measurement)` processes one measurement at once.

One processing cycle per batch: predict -> gate -> associate -> update -> manage (timed per stage).
A cycle works on a few dozen rows, where numpy's per-call overhead outweighs the arithmetic: the
per-track formulas run in compiled kernels, and truth tests of masks use np.count_nonzero (one C
call) rather than ndarray.any()/all() (several times slower at these sizes).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from fusion.config.vehicle import VehicleConfig
from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError, StampOrderError, UnknownFrameError
from fusion.core.measurements import Boxes3D, CameraDetections, MeasurementBatch, RadarDetections
from fusion.core.objects import ObjectList, TrackStatus
from fusion.core.transform_tree import TransformTree
from fusion.tracking.association import (AssociationCost, Candidates, assign, chi_square_gate, class_compatibility,
                                         coarse_pairs, compatible_pairs, default_cost, planar_gate_radius,
                                         unique_inverse)
from fusion.tracking.config import TrackerConfig
from fusion.tracking.diagnostics import TrackerDiagnostics
from fusion.tracking.engine import build_engine
from fusion.tracking.filters import MeasurementPrediction
from fusion.tracking.geometry import GEOMETRIC_MEASURES
from fusion.tracking.initiation import TwoPointInitiation
from fusion.tracking.kernels import gated_innovations
from fusion.tracking.measurement import Detections, MeasurementModel, SensorPose
from fusion.tracking.motion import build_motion_model
from fusion.tracking.reorder import ReorderBuffer
from fusion.tracking.tracks import EXPIRY_REASONS, TrackLifecycle, TrackTable
from sensors.camera.measurement_model import CameraCenterModel
from sensors.lidar.measurement_model import LidarBoxModel
from sensors.radar.measurement_model import RadarPolarModel

INPUT_KINDS = {Boxes3D: "lidar", RadarDetections: "radar", CameraDetections: "camera"}
MODELS = {"lidar": LidarBoxModel, "radar": RadarPolarModel, "camera": CameraCenterModel}
_UNKNOWN = int(ObjectClass.UNKNOWN)
_VELOCITY_STEP_NS = 10_000_000  # finite-difference step for the sensor's velocity in the tracking frame
_RECENT_POSE_NS = 120_000_000   # a frame's previous pose this recent serves for that difference instead


@dataclass
class _Sensor:
    name: str
    kind: str
    bit: int
    model: MeasurementModel
    cost: AssociationCost
    gate: float
    last_ns: int | None = None


class MultiObjectTracker:
    """Tracks objects from lidar boxes, radar returns and camera boxes in one fixed frame (module docstring)."""

    def __init__(self, config: TrackerConfig, vehicle: VehicleConfig, tree: TransformTree, *, engine: str = "batched",
                 costs: dict[str, AssociationCost] | None = None):
        """engine: "batched" (arrays) or "filterpy" (one filterpy filter per track, the reference);
        costs: per sensor kind ("lidar", "radar", "camera"), an AssociationCost replacing the configured one."""
        self.config = config
        self.vehicle = vehicle
        self.tree = tree
        self.frame_id = config.frame_id
        self.motion, modes = build_motion_model(config.motion)
        m = config.motion
        if engine == "batched":
            self.engine = build_engine(self.motion, modes, config.filter, m.imm_switch_rate_hz, m.imm_initial_turn_probability)
        elif engine == "filterpy":
            from fusion.tracking.reference import FilterpyEngine

            self.engine = FilterpyEngine(self.motion, modes, config.filter, m.imm_switch_rate_hz, m.imm_initial_turn_probability)
        else:
            raise InputError("tracker", f"unknown engine {engine!r} (batched or filterpy)")
        self.lifecycle = TrackLifecycle(config.management)
        self.tracks = TrackTable.empty()
        self.compatible = class_compatibility(config.association)
        self.buffer: ReorderBuffer[MeasurementBatch] = ReorderBuffer(round(config.timing.reorder_window_s * 1e9))
        self.time_ns: int | None = None
        self._next_id = 1
        self._diag = TrackerDiagnostics()
        self._last_pose: dict[str, tuple[int, np.ndarray]] = {}
        self.sensors: dict[str, _Sensor] = {}
        self._seeds: dict[str, TwoPointInitiation] = {}   # per sensor kind with two-point initiation
        for name, sensor in vehicle.sensors.items():
            if sensor.kind not in MODELS or not sensor.enabled or not getattr(config.sensors, sensor.kind).enabled:
                continue
            settings = getattr(config.sensors, sensor.kind)
            model = MODELS[sensor.kind](name, sensor, settings)
            gate = chi_square_gate(config.association.gate_probability, model.dim)
            cost = (costs or {}).get(sensor.kind) or default_cost(settings, gate)
            self.sensors[name] = _Sensor(name, sensor.kind, len(self.sensors), model, cost, gate)
            if model.can_initiate and settings.initiate and settings.initiation == "two_point":
                self._seeds.setdefault(sensor.kind, TwoPointInitiation(settings))
        self.sensor_names = tuple(self.sensors)

    # --- evidence from outside stages ----------------------------------------------------------------
    def add_evidence_sensor(self, name: str) -> int:
        """The sensor-mask bit of `name`, a sensor whose evidence an outside stage applies with
        apply_evidence: a sensor the tracker already uses keeps its bit; a new name gets the next one
        and joins `sensor_names` (and so every object list's). Call it before tracking starts."""
        if name in self.sensor_names:
            return self.sensor_names.index(name)
        if len(self.sensor_names) >= 63:
            raise InputError(f"evidence sensor {name!r}", "the sensor mask holds at most 63 sensors")
        self.sensor_names = self.sensor_names + (name,)
        return len(self.sensor_names) - 1

    def apply_evidence(self, name: str, visible: np.ndarray, hits: np.ndarray, stamp_ns: int, detection_probability: float,
                       hit_likelihood_ratio: float) -> None:
        """One update of an evidence sensor (see add_evidence_sensor) over the current track rows (those
        of tracks / object_list(include_tentative=True)): `hits` (row indices) were detected, the other
        `visible` (mask) tracks were missed. Hits and misses count in confirmation, existence and status
        as a tracker sensor's would; the kinematic state is left alone."""
        if name not in self.sensor_names:
            raise InputError(f"evidence sensor {name!r}", f"not registered (add_evidence_sensor); sensors: {', '.join(self.sensor_names)}")
        n = len(self.tracks)
        visible, hits = np.asarray(visible, dtype=bool), np.asarray(hits, dtype=np.int64)
        if visible.shape != (n,) or (len(hits) and (hits.min() < 0 or hits.max() >= n)):
            raise InputError(f"evidence from {name!r}", f"visible must be a mask over the {n} track rows and hits row "
                                                       f"indices below {n} (got {visible.shape} and {hits.tolist()})")
        self._diag.processed[name] += 1
        self.lifecycle.observe(self.tracks, visible, hits, detection_probability, hit_likelihood_ratio,
                               self.sensor_names.index(name), stamp_ns)
        self.lifecycle.update_status(self.tracks)

    def retire(self, rows: np.ndarray) -> None:
        """End the tracks at `rows` (e.g. whose identity another track inherited): their existence drops
        to zero, and the next update deletes them (low_existence). Until then the rows stay as they
        are, aligned with the latest object list."""
        self.tracks.existence[np.asarray(rows, dtype=np.int64)] = 0.0

    # --- input ------------------------------------------------------------------------------------
    def accepts(self, measurement: object) -> bool:
        """Whether `measurement` is a tracker input from a sensor the tracker uses."""
        return type(measurement) in INPUT_KINDS and getattr(measurement, "sensor_id", None) in self.sensors

    def process(self, measurement: MeasurementBatch) -> None:
        """Queue a measurement (arrival order) and process whatever the reorder window releases.
        Raises InputError for a measurement that is not a tracker input, from an unknown sensor or in
        an unknown frame; records (and otherwise ignores) late, duplicate and non-finite data."""
        if self._check_source(measurement) is None:
            return
        try:
            self.buffer.push(measurement.stamp_ns, measurement, measurement.source)
        except StampOrderError as exc:
            self._diag.reject("too_late", 1, str(exc))
            return
        for batch in self.buffer.pop_ready():
            self._cycle(batch)

    def flush(self, until_ns: int | None = None) -> None:
        """Process every buffered measurement up to `until_ns` (all when None); measurements older than
        that arriving later are rejected as too late."""
        for batch in self.buffer.pop_until(until_ns):
            self._cycle(batch)

    def step(self, measurement: MeasurementBatch) -> None:
        """Process one measurement now (synchronous use, e.g. frame-by-frame datasets)."""
        self.process(measurement)
        self.flush(measurement.stamp_ns)

    def _check_source(self, m: object) -> _Sensor | None:
        kind = INPUT_KINDS.get(type(m))
        if kind is None:
            raise InputError(f"measurement {type(m).__name__}", "not a tracker input (Boxes3D, RadarDetections or CameraDetections)")
        sensor = self.sensors.get(m.sensor_id)
        if sensor is None:
            if m.sensor_id in self.vehicle.sensors:
                self._diag.reject("sensor_disabled", 1, f"{m.source}: sensor not used by the tracker")
                return None
            self._diag.reject("unknown_sensor", 1, m.source)
            raise InputError(f"sensor {m.sensor_id!r}", f"unknown sensor (vehicle {self.vehicle.vehicle.name!r} has: "
                                                        f"{', '.join(self.vehicle.sensors)})")
        if sensor.kind != kind:
            self._diag.reject("wrong_kind", 1, m.source)
            raise InputError(m.source, f"{type(m).__name__} from sensor {m.sensor_id!r}, which is a {sensor.kind}")
        if m.frame_id != self.frame_id and m.frame_id not in self.tree.frames:
            self._diag.reject("unknown_frame", 1, m.source)
            raise UnknownFrameError(f"frame {m.frame_id!r}", f"unknown to the transform tree ({m.source})")
        if m.frame_id != self.frame_id and self.frame_id not in self.tree.frames:
            self._diag.reject("unknown_frame", 1, m.source)
            raise UnknownFrameError(f"tracking frame {self.frame_id!r}", f"unknown to the transform tree (needed for {m.source})")
        self._diag.received[sensor.name] += 1
        return sensor

    def _sensor_pose(self, frame_id: str, stamp_ns: int) -> SensorPose:
        """T_track_sensor at the stamp; the sensor origin's velocity in the tracking frame (computed
        when a measurement model asks) as the backward difference to the same frame's previous batch
        when that is recent, else of a lookup 10 ms earlier (or, at the start of the pose history, later)."""
        transform = self.tree.lookup(self.frame_id, frame_id, stamp_ns)
        previous = self._last_pose.get(frame_id)
        self._last_pose[frame_id] = (stamp_ns, transform.translation)

        def velocity() -> np.ndarray:
            if previous is not None and 0 < stamp_ns - previous[0] <= _RECENT_POSE_NS:
                return (transform.translation - previous[1]) / ((stamp_ns - previous[0]) * 1e-9)
            for step in (-_VELOCITY_STEP_NS, _VELOCITY_STEP_NS):
                try:
                    other = self.tree.lookup(self.frame_id, frame_id, stamp_ns + step).translation
                except InputError:
                    continue
                return (transform.translation - other) / (-step * 1e-9)
            return np.zeros(3)

        return SensorPose(transform, velocity)

    # --- one cycle ----------------------------------------------------------------------------------
    def _cycle(self, batch: MeasurementBatch) -> None:
        sensor = self.sensors[batch.sensor_id]
        stamp = batch.stamp_ns
        if sensor.last_ns is not None and stamp <= sensor.last_ns:
            self._diag.reject("duplicate", 1, f"{batch.source}: not newer than this sensor's last batch ({sensor.last_ns})")
            return
        try:
            pose = self._sensor_pose(batch.frame_id, stamp)
        except InputError as exc:
            self._diag.reject("no_transform", 1, f"{batch.source}: {exc}")
            return
        sensor.last_ns = stamp
        self._diag.processed[sensor.name] += 1
        clock = time.perf_counter()
        det = sensor.model.detections(batch, pose)
        for reason, count in det.dropped.items():
            self._diag.reject(reason, count, f"{batch.source}: {count} detection(s)")
        self._predict_to(stamp)
        clock = self._lap("predict", clock)

        matched_t = matched_d = gated = np.zeros(0, dtype=np.int64)
        failed = np.zeros(0, dtype=bool)
        if len(self.tracks) and len(det):
            pairs, pred, pred_rows = self._candidates(sensor, det, pose)
            gated = pairs.detections
            clock = self._lap("gate", clock)
            matched_t, matched_d = assign(pairs.tracks, pairs.detections, sensor.cost(pairs), sensor.cost.unassigned_cost,
                                          self.config.association.method)
            clock = self._lap("associate", clock)
            failed = self.engine.update(matched_t, det.z[matched_d], det.R[matched_d], sensor.model, pose,
                                        pred.take(pred_rows.searchsorted(matched_t)), self.tracks.size[matched_t])
            clock = self._lap("update", clock)
        self._manage(sensor, det, pose, matched_t, matched_d, matched_t[failed], gated, stamp)
        self._lap("manage", clock)

    def _lap(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self._diag.stage_seconds[stage] += now - since
        return now

    def _predict_to(self, stamp_ns: int) -> None:
        if self.time_ns is not None and stamp_ns >= self.time_ns:
            dt = (stamp_ns - self.time_ns) * 1e-9
            failed = self.engine.predict(dt)
            self.lifecycle.predict(self.tracks, dt)
            if np.count_nonzero(failed):
                self._drop(failed, "covariance_failed")
        self.time_ns = stamp_ns if self.time_ns is None else max(self.time_ns, stamp_ns)

    def _candidates(self, sensor: _Sensor, det: Detections, pose: SensorPose) -> tuple[Candidates, MeasurementPrediction, np.ndarray]:
        """Gated pairs, and the measurement prediction of the tracks in any coarse pair (rows, sorted)."""
        model, motion = sensor.model, self.motion
        x, P = self.engine.estimate()
        radius = model.settings.pregate_radius
        if model.gate_points_are_measured:   # z starts with the tracking-frame position: x, y of every layout
            radius = np.minimum(planar_gate_radius(P[:, :2, :2], det.R[:, :2, :2], sensor.gate), radius)
        ti, dj = coarse_pairs(model.track_points(motion, x, pose), det.points, radius)
        ti, dj, track_classes, detection_classes = compatible_pairs(ti, dj, self.tracks.class_probs, det.classes, self.compatible)
        rows, local = unique_inverse(ti)
        pred = self.engine.measurement_prediction(model, pose, rows, self.tracks.size[rows])
        kept, residual, S, d2 = gated_innovations(det.z, det.R, pred.zhat, pred.S0, dj, local, model.wrap_periods, sensor.gate)
        ti, dj = ti[kept], dj[kept]
        pairs = Candidates(sensor.kind, ti, dj, residual, S, d2, track_classes[kept], detection_classes[kept], det.scores[dj],
                           None)
        measure = model.settings.geometric
        if measure != "none" and len(pairs):
            fn, higher_is_closer = GEOMETRIC_MEASURES[measure]
            which, at = unique_inverse(pairs.tracks)
            geometry = model.track_geometry(motion, x[which], self.tracks.size[which], pose)
            pairs.geometric = fn(geometry[at], det.geometry[pairs.detections])
            threshold = model.settings.geometric_threshold
            pairs = pairs.select(pairs.geometric >= threshold if higher_is_closer else pairs.geometric <= threshold)
        return pairs, pred, rows

    def _manage(self, sensor: _Sensor, det: Detections, pose: SensorPose, matched_t: np.ndarray, matched_d: np.ndarray,
                failed_rows: np.ndarray, gated: np.ndarray, stamp_ns: int) -> None:
        model, life, tracks = sensor.model, self.lifecycle, self.tracks
        if self.engine.repairs:
            self._diag.covariance_repairs += self.engine.repairs
            self.engine.repairs = 0
        if len(tracks):
            x, P = self.engine.estimate()
            visible = model.visible(self.motion, x, tracks.size, pose)
            life.observe(tracks, visible, matched_t, model.detection_probability, model.settings.hit_likelihood_ratio,
                         sensor.bit, stamp_ns)
            classes = det.classes[matched_d]
            life.fuse_classes(tracks, matched_t, classes, classes != _UNKNOWN, model.settings.class_confidence)
            if det.sizes is not None:
                life.fuse_sizes(tracks, matched_t, det.sizes[matched_d], det.size_var[matched_d])
            life.update_status(tracks)
            if len(failed_rows):
                drop = np.zeros(len(tracks), dtype=bool)
                drop[failed_rows] = True
                self._drop(drop, "covariance_failed")
        if model.can_initiate and model.settings.initiate and len(det) > len(matched_d):
            free = np.ones(len(det), dtype=bool)
            free[matched_d] = False
            if model.several_returns_per_object:
                free[gated] = False
            rows = np.flatnonzero(free)
            if sensor.kind in self._seeds and len(rows):
                rows = rows[self._seeds[sensor.kind].confirm(det.points[rows], stamp_ns)]
            if len(rows):
                self._start_tracks(sensor, det, rows, pose, stamp_ns)
        if len(self.tracks):
            x, P = self.engine.estimate()
            position_std = np.sqrt(np.maximum(P[:, 0, 0], P[:, 1, 1]))
            # duplicates are looked for after a box sensor (lidar) has corrected the tracks
            boxes = self._boxes(x) if det.sizes is not None and life.checks_overlaps else None
            reason = life.expired(self.tracks, stamp_ns, position_std, boxes)
            drop = reason >= 0
            if np.count_nonzero(drop):
                for code, count in enumerate(np.bincount(reason[drop], minlength=len(EXPIRY_REASONS))):
                    if count:
                        self._diag.deleted[EXPIRY_REASONS[code]] += int(count)
                self._drop(drop, None)

    def _start_tracks(self, sensor: _Sensor, det: Detections, rows: np.ndarray, pose: SensorPose, stamp_ns: int) -> None:
        new = sensor.model.new_tracks(det, rows, pose)
        init = self.config.initial
        if det.sizes is not None:
            sizes, size_var = det.sizes[new.rows], det.size_var[new.rows]
        else:
            sizes, size_var = np.tile(init.size_m, (len(new.rows), 1)), np.full((len(new.rows), 3), init.size_std_m**2)
        x0, P0 = self.motion.initial_state(new.position, new.position_cov, new.yaw, new.yaw_var, new.velocity, init)
        owner = (self.lifecycle.overlapped_tracks(np.column_stack([new.position, sizes, new.yaw]), self._boxes(self.engine.estimate()[0]))
                 if self.lifecycle.checks_overlaps else np.full(len(new.rows), -1))
        inside = owner >= 0
        if np.count_nonzero(inside):
            self._diag.reject("inside_existing_track", int(inside.sum()),
                              f"sensor {sensor.name!r}: unassigned detection(s) overlapping a track start no new track")
            if det.sizes is not None:   # a full box: the track drifted off its object; restart its state there
                tracks, first = np.unique(owner[inside], return_index=True)
                self.engine.reset(tracks, x0[inside][first], P0[inside][first])
                self.tracks.size[tracks], self.tracks.size_var[tracks] = sizes[inside][first], size_var[inside][first]
                self._diag.reinitialised += len(tracks)
            new, x0, P0 = new.select(~inside), x0[~inside], P0[~inside]
            sizes, size_var = sizes[~inside], size_var[~inside]
        rows = new.rows
        if len(rows) == 0:
            return
        ids = np.arange(self._next_id, self._next_id + len(rows), dtype=np.int64)
        self._next_id += len(rows)
        classes = det.classes[rows]
        self.engine.add(x0, P0)
        self.tracks.append(self.lifecycle.new(ids, classes, classes != _UNKNOWN, sensor.model.settings.class_confidence,
                                              sizes, size_var, sensor.bit, stamp_ns))
        self._diag.created += len(rows)

    def _boxes(self, x: np.ndarray) -> np.ndarray:
        """Track boxes (N, 7): x y z l w h yaw."""
        return np.column_stack([self.motion.position_velocity(x)[0], self.tracks.size, x[:, self.motion.yaw_index]])

    def _drop(self, mask: np.ndarray, reason: str | None) -> None:
        """Delete the masked tracks (counted under `reason` unless the caller counted them)."""
        if reason is not None:
            self._diag.deleted[reason] += int(mask.sum())
        self.engine.keep(~mask)
        self.tracks.keep(~mask)

    # --- output -------------------------------------------------------------------------------------
    def object_list(self, stamp_ns: int | None = None, include_tentative: bool | None = None) -> ObjectList:
        """Tracks predicted to `stamp_ns` (default: the last processed stamp), in the tracking frame.
        Tentative tracks are left out unless include_tentative (default: management.output_tentative)."""
        if include_tentative is None:
            include_tentative = self.config.management.output_tentative
        if self.time_ns is None:
            return ObjectList(int(stamp_ns or 0), self.frame_id, sensor_names=self.sensor_names)
        stamp = self.time_ns if stamp_ns is None else int(stamp_ns)
        if stamp < self.time_ns:
            raise StampOrderError(f"object list at {stamp}", f"the tracker has already processed up to {self.time_ns}")
        dt = (stamp - self.time_ns) * 1e-9
        engine = self.engine
        if dt > 0 and len(engine):
            engine = engine.copy()
            engine.predict(dt)
        status = self.tracks.status   # the rows reported, as indices: every array below is a copy
        rows = np.arange(len(status)) if include_tentative else np.flatnonzero(status != TrackStatus.TENTATIVE)
        x, P = engine.estimate()
        kin = self.motion.kinematics(x[rows], P[rows])
        t = self.tracks
        return ObjectList(
            stamp_ns=stamp, frame_id=self.frame_id, track_ids=t.ids[rows], classes=t.classes[rows],
            class_probabilities=t.class_probs[rows], position=kin.position, velocity=kin.velocity,
            acceleration=kin.acceleration, yaw=kin.yaw, yaw_rate=kin.yaw_rate, pose_covariance=kin.pose_covariance,
            twist_covariance=kin.twist_covariance, size=t.size[rows],
            existence_probability=t.existence[rows] * self.config.management.existence_survival_per_s**dt,
            age_s=(stamp - t.created_ns[rows]) * 1e-9, status=t.status[rows], sensor_mask=t.sensor_mask[rows],
            sensor_names=self.sensor_names,
        )

    def diagnostics(self) -> dict[str, Any]:
        """A snapshot: received / processed / rejected counts, track counts, stage timings."""
        status = self.tracks.status
        return self._diag.snapshot(
            tracks={s.name.lower(): int(np.sum(status == s)) for s in TrackStatus},
            buffered=len(self.buffer), time_ns=self.time_ns,
        )
