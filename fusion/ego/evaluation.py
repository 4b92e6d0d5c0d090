"""Scoring the ego estimator on simulated drives against their ground truth.

Each drive's stream goes through the ESKF (timed: the real-time factor counts only its own
processing) and, optionally, the filterpy UKF reference started from the ESKF's initial estimate.
Poses are sampled at 10 Hz after initialisation; position errors are horizontal (the quantity the
tracker's world frame depends on), GNSS-only errors compare each reported fix with the true
antenna position.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from datasets.simulation.drives import SimulatedDrive
from fusion.config.vehicle import VehicleConfig
from fusion.core import quaternion as quat
from fusion.core.measurements import ImuSample
from fusion.core.time import NS_PER_S
from fusion.ego.config import EgoConfig
from fusion.ego.estimator import EgoEstimator
from fusion.ego.ukf_reference import UkfEgoReference

SAMPLE_EVERY_NS = 100_000_000  # score at 10 Hz


@dataclass
class DriveRun:
    """Per-drive samples (10 Hz after initialisation) and figures."""

    name: str
    times_s: np.ndarray
    truth_xy: np.ndarray
    eskf_xy: np.ndarray
    eskf_error_m: np.ndarray
    heading_error_deg: np.ndarray
    ukf_xy: np.ndarray | None
    ukf_error_m: np.ndarray | None
    ukf_heading_error_deg: np.ndarray | None
    gnss_times_s: np.ndarray
    gnss_xy: np.ndarray
    gnss_error_m: np.ndarray
    outages: list[tuple[float, float]]
    figures: dict = field(default_factory=dict)


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(values)))) if len(values) else float("nan")


def _outside(times_s: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    mask = np.ones(len(times_s), dtype=bool)
    for start, end in windows:
        mask &= ~((times_s >= start) & (times_s < end))
    return mask


def estimator_config_for(drive: SimulatedDrive, config: EgoConfig) -> EgoConfig:
    """The config with the map frame anchored where the simulation's map frame is."""
    lat, lon, alt = drive.origin
    return config.model_copy(update={"origin": config.origin.model_copy(update={
        "source": "configured", "latitude_deg": lat, "longitude_deg": lon, "altitude_m": alt})})


def run_drive(drive: SimulatedDrive, vehicle: VehicleConfig, config: EgoConfig, with_reference: bool = True,
              progress: Callable[[int], None] | None = None) -> DriveRun:
    est = EgoEstimator(estimator_config_for(drive, config), vehicle)
    ref = UkfEgoReference(est) if with_reference else None
    traj = drive.trajectory
    t0 = int(traj.stamps_ns[0])
    rows, eskf_s, eskf_cpu_s, ukf_s = [], 0.0, 0.0, 0.0
    for count, m in enumerate(drive.measurements, start=1):
        start, cpu_start = time.perf_counter(), time.process_time()
        est.process(m)
        eskf_s += time.perf_counter() - start
        eskf_cpu_s += time.process_time() - cpu_start
        if ref is not None:
            start = time.perf_counter()
            ref.process(m)
            if not ref.started and est.initialised:
                ref.start(est.filter, est.stamp_ns)
            ukf_s += time.perf_counter() - start
        if isinstance(m, ImuSample) and est.initialised and (m.stamp_ns - t0) % SAMPLE_EVERY_NS == 0:
            pose = est.pose_at(m.stamp_ns)
            k = traj.index_at(m.stamp_ns)
            row = [(m.stamp_ns - t0) / NS_PER_S, *traj.position[k, :2], *pose.translation[:2],
                   quat.wrap_angle(pose.rpy[2] - traj.yaw[k]), float(est.converged)]
            if ref is not None and ref.started:
                start = time.perf_counter()
                ref.predict_to(m.stamp_ns)
                ukf_s += time.perf_counter() - start
                row += [*ref.position[:2], quat.wrap_angle(ref.yaw - traj.yaw[k])]
            elif ref is not None:
                row += [np.nan, np.nan, np.nan]
            rows.append(row)
        if progress is not None and count % 1000 == 0:
            progress(1000)
    if progress is not None:
        progress(len(drive.measurements) % 1000)
    data = np.asarray(rows)
    times, truth, eskf = data[:, 0], data[:, 1:3], data[:, 3:5]
    err = np.linalg.norm(eskf - truth, axis=1)
    heading = np.degrees(data[:, 5])
    ukf_xy = data[:, 7:9] if ref is not None else None
    ukf_err = np.linalg.norm(ukf_xy - truth, axis=1) if ref is not None else None
    ukf_heading = np.degrees(data[:, 9]) if ref is not None else None
    g = drive.gnss
    gnss_t = (g.stamps_ns[g.has_fix] - t0) / NS_PER_S
    gnss_xy = g.measured_enu[g.has_fix, :2]
    gnss_err = np.linalg.norm(gnss_xy - g.true_enu[g.has_fix, :2], axis=1)
    run = DriveRun(drive.name, times, truth, eskf, err, heading, ukf_xy, ukf_err, ukf_heading, gnss_t, gnss_xy, gnss_err,
                   list(drive.outages))
    run.figures = _figures(run, drive, est, (eskf_s, eskf_cpu_s), ukf_s if ref is not None else None, data[:, 6])
    return run


def _figures(run: DriveRun, drive: SimulatedDrive, est: EgoEstimator, eskf_s: tuple[float, float],
             ukf_s: float | None, converged: np.ndarray) -> dict:
    outside = _outside(run.times_s, run.outages)
    inliers = ~drive.gnss.outlier[drive.gnss.has_fix]
    converged_at = run.times_s[np.argmax(converged > 0)] if np.any(converged > 0) else float("nan")
    figures = {
        "duration_s": round(drive.duration_s, 2),
        "distance_m": round(drive.trajectory.distance_m, 1),
        "pos_rmse_m": _rms(run.eskf_error_m[outside]),
        "gnss_only_rmse_m": _rms(run.gnss_error_m),
        "gnss_only_inlier_rmse_m": _rms(run.gnss_error_m[inliers]),
        "heading_rmse_deg": _rms(run.heading_error_deg),
        "initialised_after_s": float(run.times_s[0]),
        "converged_after_s": float(converged_at),
        "gnss_outliers_injected": int(drive.gnss.outlier.sum()),
        "gnss_rejected": est.diagnostics.gnss_rejected,
        "realtime_factor": drive.duration_s / max(eskf_s[0], 1e-9),
        "realtime_factor_cpu": drive.duration_s / max(eskf_s[1], 1e-9),
        "processing_s": eskf_s[0],
        "processing_cpu_s": eskf_s[1],
    }
    if run.outages:  # the first outage is scored: the error at its end against the distance driven in it
        start, end = run.outages[0]
        times = drive.trajectory.times_s
        inside = (times >= start) & (times <= end)
        distance = float(np.sum(np.linalg.norm(np.diff(drive.trajectory.position[inside], axis=0), axis=1)))
        at_end = np.flatnonzero(run.times_s < end)
        drift = float(run.eskf_error_m[at_end[-1]]) if at_end.size else float("nan")
        figures.update({"outage_start_s": start, "outage_s": end - start, "outage_distance_m": distance,
                        "outage_drift_m": drift, "outage_drift_pct": 100.0 * drift / max(distance, 1e-9)})
        if run.ukf_error_m is not None and at_end.size:
            figures["ukf_outage_drift_m"] = float(run.ukf_error_m[at_end[-1]])
    if run.ukf_error_m is not None:
        valid = ~np.isnan(run.ukf_error_m)
        figures.update({
            "ukf_pos_rmse_m": _rms(run.ukf_error_m[outside & valid]),
            "ukf_heading_rmse_deg": _rms(run.ukf_heading_error_deg[valid]),
            "ukf_realtime_factor": drive.duration_s / max(ukf_s, 1e-9),
            "eskf_ukf_rms_difference_m": _rms(np.linalg.norm(run.eskf_xy[valid] - run.ukf_xy[valid], axis=1)),
        })
    figures["diagnostics"] = est.diagnostics.counts()
    return figures


def summarise(runs: list[DriveRun]) -> dict:
    """The headline figures over all drives (errors pooled, the worst outage) and the targets."""
    def pooled(attr: str, mask_outages: bool = False) -> float:
        parts = []
        for r in runs:
            values = getattr(r, attr)
            if values is None:
                return float("nan")
            keep = ~np.isnan(values)
            if mask_outages:
                keep &= _outside(r.times_s, r.outages)
            parts.append(values[keep])
        return _rms(np.concatenate(parts))

    worst = max(runs, key=lambda r: r.figures.get("outage_drift_pct", -1.0))
    total_s = sum(r.figures["duration_s"] for r in runs)
    summary = {
        "pos_rmse_m": pooled("eskf_error_m", mask_outages=True),
        "gnss_only_rmse_m": _rms(np.concatenate([r.gnss_error_m for r in runs])),
        "heading_rmse_deg": pooled("heading_error_deg"),
        "outage_drift_m": worst.figures.get("outage_drift_m", float("nan")),
        "outage_distance_m": worst.figures.get("outage_distance_m", float("nan")),
        "outage_drift_pct": worst.figures.get("outage_drift_pct", float("nan")),
        "outage_drive": worst.name,
        "realtime_factor": total_s / sum(r.figures["processing_s"] for r in runs),
        "realtime_factor_cpu": total_s / sum(r.figures["processing_cpu_s"] for r in runs),
        "load_average_1min": os.getloadavg()[0],
    }
    if all(r.ukf_error_m is not None for r in runs):
        summary["reference_ukf"] = {
            "pos_rmse_m": pooled("ukf_error_m", mask_outages=True),
            "heading_rmse_deg": pooled("ukf_heading_error_deg"),
            "outage_drift_m": worst.figures.get("ukf_outage_drift_m", float("nan")),
            "realtime_factor": total_s / sum(r.figures["duration_s"] / r.figures["ukf_realtime_factor"] for r in runs),
        }
    summary["targets"] = {
        "pos_rmse_within_half_gnss": summary["pos_rmse_m"] <= 0.5 * summary["gnss_only_rmse_m"],
        "outage_drift_within_2pct": summary["outage_drift_pct"] <= 2.0,
        "heading_rmse_within_1deg": summary["heading_rmse_deg"] <= 1.0,
    }
    return summary
