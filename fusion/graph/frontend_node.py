"""Base of the sensor front-end node cores (lidar, radar): they follow the ego odometry for their
sensor's own twist and accept sensor data only in their sensor's frame."""
from __future__ import annotations

from abc import abstractmethod
from typing import Any

from fusion.core.errors import UnknownFrameError
from fusion.core.transform import Transform
from fusion.ego.state import Odometry
from fusion.graph.ego_motion import EgoMotion
from fusion.graph.node import NodeCore, Output


class FrontEndNode(NodeCore):
    def __init__(self, name: str, sensor_id: str, sensor: Any, T_base_sensor: Transform):
        super().__init__(name)
        self.sensor_id, self.sensor, self.T_base_sensor = sensor_id, sensor, T_base_sensor
        self.ego = EgoMotion()

    def _process(self, topic: str, data: Any, now_ns: int) -> list[Output]:
        if isinstance(data, Odometry):
            self.ego.update(data)
            return []
        if data.frame_id != self.sensor.frame_id:
            raise UnknownFrameError(f"frame {data.frame_id!r}", f"{self.name} expects frame {self.sensor.frame_id!r}")
        return self._process_sensor(data)

    @abstractmethod
    def _process_sensor(self, data: Any) -> list[Output]:
        """Handle one batch of this sensor's data (already checked to be in its frame)."""
