"""Simulated drives for the ego estimator: a trajectory plus its IMU, GNSS and wheel-speed streams,
merged in stamp order, with the truth the evaluation scores against."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from datasets.simulation.ego_trajectory import EgoTrajectory, Segment
from datasets.simulation.inertial_sensors import (
    GnssReadings, ImuReadings, gnss_messages, gnss_readings, imu_messages, imu_readings, simulate_wheel_speed,
)
from fusion.config.vehicle import VehicleConfig
from fusion.ego.geodesy import GeodeticOrigin
from fusion.ego.wheel_speed import WheelSpeed

KARLSRUHE = GeodeticOrigin(49.0110, 8.4164, 115.0)  # where the KITTI drives were recorded

# A highway drive: cruise, long curves, lane changes (short opposite yaw-rate pulses), slow traffic.
HIGHWAY = [
    Segment(15, 30, 0.0), Segment(30, 30, 0.006), Segment(4, 30, 0.02), Segment(4, 30, -0.02),
    Segment(40, 32, 0.0), Segment(35, 32, -0.008), Segment(10, 20, 0.0), Segment(30, 20, 0.0),
    Segment(12, 30, 0.0), Segment(4, 30, -0.02), Segment(4, 30, 0.02), Segment(40, 30, 0.004),
    Segment(30, 28, 0.0),
]

# A short urban drive for tests: pull away, left turn, stop at a crossing, pull away, right turn.
URBAN_SHORT = [
    Segment(6, 10, 0.0), Segment(9, 8, 0.17), Segment(5, 0, 0.0), Segment(4, 0, 0.0),
    Segment(6, 12, 0.0), Segment(8, 9, -0.18), Segment(8, 12, 0.0),
]


@dataclass
class SimulatedDrive:
    name: str
    trajectory: EgoTrajectory
    origin: GeodeticOrigin
    imu: ImuReadings
    gnss: GnssReadings
    wheel: list[WheelSpeed]
    outages: list[tuple[float, float]]
    measurements: list = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return self.trajectory.duration_s


def simulate_drive(
    name: str,
    trajectory: EgoTrajectory,
    vehicle: VehicleConfig,
    seed: int,
    outages: list[tuple[float, float]] = (),
    origin: GeodeticOrigin = KARLSRUHE,
    imu_sensor: str = "imu",
    gnss_sensor: str = "gnss",
    wheels: bool = True,
) -> SimulatedDrive:
    """All sensor streams of one drive from one seed; the wheel speed (drawn with the vehicle
    config's `wheel_speed` figures) unless wheels is False."""
    rng = np.random.default_rng(seed)
    imu_cfg, gnss_cfg = vehicle.sensors[imu_sensor], vehicle.sensors[gnss_sensor]
    tree = vehicle.transform_tree()
    base = vehicle.vehicle.base_frame
    imu = imu_readings(trajectory, imu_cfg, tree.lookup(base, imu_cfg.frame_id), rng, origin)
    gnss = gnss_readings(trajectory, gnss_cfg, rng, outages, tree.lookup(base, gnss_cfg.frame_id))
    w = vehicle.wheel_speed
    wheel = simulate_wheel_speed(trajectory, rng, w.rate_hz, w.noise_std_mps, w.scale_error, frame_id=base) if wheels else []
    stream = imu_messages(imu, imu_cfg, imu_sensor) + gnss_messages(gnss, gnss_cfg, origin, gnss_sensor) + wheel
    stream.sort(key=lambda m: m.stamp_ns)  # stable: IMU before GNSS before wheels at equal stamps
    return SimulatedDrive(name, trajectory, origin, imu, gnss, wheel, list(outages), stream)


def highway_drive(vehicle: VehicleConfig, seed: int = 2, rate_hz: float = 100.0) -> SimulatedDrive:
    """About 260 s and 7.5 km of motorway, with a 30 s GNSS outage at cruise speed."""
    trajectory = EgoTrajectory.scripted(HIGHWAY, rate_hz=rate_hz, initial_speed_mps=28.0, initial_yaw_rad=0.4)
    return simulate_drive("highway", trajectory, vehicle, seed, outages=[(150.0, 180.0)])


def kitti_urban_drive(vehicle: VehicleConfig, path: str | Path, seed: int = 1, rate_hz: float = 100.0) -> SimulatedDrive:
    """The real KITTI GPS drive (470 s, 3.7 km of turns and near-stops), 30 s outage mid-drive."""
    trajectory = EgoTrajectory.from_kitti_gps(path, rate_hz=rate_hz)
    return simulate_drive("kitti_urban", trajectory, vehicle, seed, outages=[(300.0, 330.0)])


def town_drive(vehicle: VehicleConfig, seed: int = 1, rate_hz: float = 100.0) -> SimulatedDrive:
    """Five laps of the short urban script (230 s, 1.8 km, five stops), 30 s outage; stands in for
    the KITTI drive where the real data is absent."""
    trajectory = EgoTrajectory.scripted(URBAN_SHORT * 5, rate_hz=rate_hz, initial_speed_mps=8.0, initial_yaw_rad=1.0)
    return simulate_drive("town", trajectory, vehicle, seed, outages=[(120.0, 150.0)])


def urban_short_drive(vehicle: VehicleConfig, seed: int = 3, outages: list[tuple[float, float]] = (),
                      wheels: bool = True) -> SimulatedDrive:
    """46 s of town driving with a full stop (for tests)."""
    trajectory = EgoTrajectory.scripted(URBAN_SHORT, initial_speed_mps=8.0, initial_yaw_rad=1.0)
    return simulate_drive("urban_short", trajectory, vehicle, seed, outages=list(outages), wheels=wheels)
