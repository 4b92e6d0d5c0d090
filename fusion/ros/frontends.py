"""What the three front-end nodes share: the base_link -> sensor extrinsics of a chosen sensor."""
from __future__ import annotations

from fusion.config.vehicle import VehicleConfig
from fusion.core.transform import Transform


def base_to_sensor(vehicle: VehicleConfig, frame_id: str) -> Transform:
    """T_base_sensor from the vehicle config's mounts (the sensor may be mounted on another sensor)."""
    return vehicle.transform_tree().lookup(vehicle.vehicle.base_frame, frame_id)
