"""The parameters every Taishan ROS node has besides the graph config and its core's config
(prefix `node.`)."""
from __future__ import annotations

from fusion.config.loader import StrictModel, config_dir, load_config
from fusion.config.vehicle import SensorConfig, VehicleConfig
from fusion.core.errors import ConfigError


class NodeSettings(StrictModel):
    """Node modules extend this with their own settings (which sensors, which input kind)."""

    vehicle_config: str = ""             # vehicle config file (sensors, extrinsics, noise); '' = the shipped configs/vehicle.yaml

    def vehicle(self) -> VehicleConfig:
        return load_config(self.vehicle_config or config_dir() / "vehicle.yaml", VehicleConfig)


class SensorNodeSettings(NodeSettings):
    """A front-end node serves one or more sensors of its kind, each with its own core."""

    sensors: list[str] = []              # names in the vehicle config's `sensors`; [] = every enabled sensor of this kind

    def chosen(self, vehicle: VehicleConfig, kind: str) -> dict[str, SensorConfig]:
        """The chosen sensors' configs by name; an unknown, disabled or wrong-kind name is a ConfigError."""
        available = vehicle.sensors_of_kind(kind)
        names = self.sensors or list(available)
        problems = [f"{n!r} is not an enabled {kind} of vehicle {vehicle.vehicle.name!r} "
                    f"(enabled: {', '.join(available) or 'none'})" for n in names if n not in available]
        if not names:
            problems.append(f"vehicle {vehicle.vehicle.name!r} has no enabled {kind}")
        if problems:
            raise ConfigError("parameter node.sensors", problems)
        return {n: available[n] for n in names}
