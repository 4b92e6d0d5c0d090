"""What every node core shares: declared inputs and outputs, bad-input bookkeeping, timers.

A runtime (the replay Pipeline, or an rclpy adapter) does three things with a node core:
- `receive(topic, msg, now_ns)` with a ROS message (rosbags' or rclpy's): decoded with the input's
  decoder for that message type, then processed; or `process(topic, data, now_ns)` with data that is
  already a core type (the replay Pipeline hands one node's outputs to the next this way);
- `tick(now_ns)` when `period_ns` has elapsed (nodes that publish at a fixed rate);
- `status(now_ns)` for diagnostics.
All three return plain data. A malformed input is rejected with its reason (InputError) and counted
in the diagnostics; any other exception is a fault of the node itself, counted as a failure (ERROR
level) with its message. Neither raises out of the node, so one message never stops the graph. Outputs name their topic; the OutputSpec of
that topic says which message type and encoder a runtime publishes it with.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

from fusion.core.errors import InputError
from fusion.graph.diagnostics import NodeDiagnostics, Status
from fusion.messages.header import MessageTypes

Decoder = Callable[[Any, str], Any]
"""(message, topic) -> core data; raises InputError on a malformed message."""

Encoder = Callable[[MessageTypes, Any], Any]
"""(types, core data) -> message."""


@dataclass(frozen=True)
class InputSpec:
    """An input topic and its decoder per accepted message type ('sensor_msgs/msg/Imu' -> fn).
    `sensor_data` selects the sensor-data QoS (best effort) in the live graph."""

    topic: str
    decoders: dict[str, Decoder]
    sensor_data: bool = True


@dataclass(frozen=True)
class OutputSpec:
    """An output topic with the message type it is published as and how to encode it.
    `latched` outputs (tf_static) are transient local in the live graph."""

    topic: str
    msgtype: str
    encode: Encoder
    latched: bool = False


class Output(NamedTuple):
    """Core data published on a topic at stamp_ns."""

    topic: str
    stamp_ns: int
    data: Any


class NodeCore(ABC):
    """Base of the node cores; subclasses fill `inputs` and `outputs` and implement `_process`."""

    period_ns: int | None = None

    def __init__(self, name: str):
        self.name = name
        self.inputs: dict[str, InputSpec] = {}
        self.outputs: dict[str, OutputSpec] = {}
        self.diagnostics = NodeDiagnostics(name)

    def add_input(self, topic: str, decoders: dict[str, Decoder], sensor_data: bool = True) -> None:
        self.inputs[topic] = InputSpec(topic, decoders, sensor_data)

    def add_output(self, topic: str, msgtype: str, encode: Encoder, latched: bool = False) -> None:
        self.outputs[topic] = OutputSpec(topic, msgtype, encode, latched)

    def accepts(self, topic: str, msgtype: str) -> bool:
        spec = self.inputs.get(topic)
        return spec is not None and msgtype in spec.decoders

    def receive(self, topic: str, msg: Any, msgtype: str, now_ns: int) -> list[Output]:
        """Decode a ROS message of type `msgtype` arriving on `topic` at now_ns, then process it."""
        spec = self.inputs.get(topic)
        decode = spec.decoders.get(msgtype) if spec is not None else None
        if decode is None:
            self.diagnostics.rejected(topic, f"unexpected message type {msgtype}", now_ns)
            return []
        try:
            data = decode(msg, topic)
        except InputError as exc:
            self.diagnostics.rejected(topic, exc.reason, now_ns)
            return []
        return self.process(topic, data, now_ns)

    def process(self, topic: str, data: Any, now_ns: int) -> list[Output]:
        """Process core data; an InputError (unknown frame, stale stamp, ...) is a rejection."""
        try:
            outputs = self._process(topic, data, now_ns)
        except InputError as exc:
            self.diagnostics.rejected(topic, exc.reason, now_ns)
            return []
        except Exception as exc:  # a fault in the node's own code: reported at ERROR level, the graph goes on
            self.diagnostics.failed(topic, f"{type(exc).__name__}: {exc}", now_ns)
            return []
        self.diagnostics.accepted(topic, int(getattr(data, "stamp_ns", now_ns)), now_ns)
        return outputs

    @abstractmethod
    def _process(self, topic: str, data: Any, now_ns: int) -> list[Output]:
        """Handle one input; raise InputError to reject it with a reason."""

    def tick(self, now_ns: int) -> list[Output]:
        """Called every period_ns by the runtime (nodes with a fixed output rate override it)."""
        return []

    def status(self, now_ns: int) -> Status:
        return self.diagnostics.status(now_ns)
