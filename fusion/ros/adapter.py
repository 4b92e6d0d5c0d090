"""The rclpy adapter around node cores (fusion.graph): one ROS node hosting one or more NodeCores.

It only wires: parameters are declared from the config schemas and validated (fusion.ros.parameters),
the cores are built from the configs, each core input becomes a subscription and each output a
publisher (QoS from fusion.ros.qos), messages go to `NodeCore.receive` with the node clock's time
(simulated time with use_sim_time), outputs are encoded with their OutputSpec and published, fixed-
rate cores get a timer, and every core's Status goes out on /diagnostics with what only the live
graph knows added (publish latency from header stamp, messages lost in transport). Subscriptions
take the serialized bytes, and each endpoint's message type is (de)serialized by the codec
fusion.ros.wire picks for it (rosbags' where it matches the installed type, else rclpy's).

Cores hosted together (taishan_fusion_node: front-ends and tracker in one process) hand each other
their outputs as core data, as the replay Pipeline does: a topic one core of the node produces and
another reads is not subscribed to (each such topic has one producer in the graph); it is still
published for subscribers outside the node. /tf and the other global topics always go through DDS.

Topics: the cores name them absolute (/taishan/objects); here all but the global ones (/tf,
/tf_static, /diagnostics, /clock) become relative, so a node namespace (`__ns`, launch's
`namespace`) moves the whole graph and remapping works on either spelling.
"""
from __future__ import annotations

import dataclasses
import time
import traceback
from collections import deque
from typing import Any, Callable

import numpy as np
from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.exceptions import InvalidParameterTypeException, InvalidParameterValueException
from rclpy.node import Node
from rclpy.qos_overriding_options import InvalidQosOverridesError

from fusion.config.loader import StrictModel
from fusion.core.errors import ConfigError
from fusion.graph.config import GraphConfig
from fusion.graph.diagnostics import InputStats, Level, Report, Status
from fusion.graph.node import NodeCore, Output
from fusion.graph.topics import CLOCK, DIAGNOSTICS, TF, TF_STATIC
from fusion.messages.diagnostics import from_report
from fusion.messages.header import header_stamp_ns
from fusion.ros.message_types import ros_type
from fusion.ros.parameters import declare_configs, given_parameter_names
from fusion.ros.qos import input_qos, output_qos, overridable
from fusion.ros.settings import NodeSettings
from fusion.ros.wire import Codec, codec, endpoint_type_hash

GLOBAL_TOPICS = (TF, TF_STATIC, DIAGNOSTICS, CLOCK)
REJECTION_LOG_PERIOD_S = 2.0   # per topic: the first rejection is logged, then at most one per period

SETTINGS_PREFIX = "node."


def ros_topic(core_topic: str) -> str:
    """The name a core topic gets in the live graph (relative unless global)."""
    return core_topic if core_topic in GLOBAL_TOPICS else core_topic.lstrip("/")


def _problem_count(stats: InputStats) -> int:
    return stats.rejected + stats.dropped + stats.failed


@dataclasses.dataclass
class _OutputStats:
    published: int = 0
    unheard: int = 0      # not encoded: nobody subscribed
    failed: int = 0
    latencies_ms: deque = dataclasses.field(default_factory=lambda: deque(maxlen=1000))


class CoreNode(Node):
    """A ROS node hosting the cores that `build(settings, graph, *configs)` makes.

    Parameters: `node.*` from `settings` (a NodeSettings schema: vehicle config file, sensors), and at
    the top level the graph config (configs/graph.yaml) and each of `configs` (the core's own
    schemas, e.g. configs/tracker.yaml), so that those params files apply as they are."""

    def __init__(self, name: str, settings: type[NodeSettings], configs: list[type[StrictModel]],
                 build: Callable[..., list[NodeCore]]):
        super().__init__(name)
        declared = declare_configs(self, [(SETTINGS_PREFIX, settings), ("", GraphConfig), *[("", c) for c in configs]])
        self.settings, self.graph = declared[0], declared[1]
        self.cores = build(self.settings, self.graph, *declared[2:])
        self._input_cores: dict[str, list[NodeCore]] = {}    # by DDS subscription
        self._local_cores: dict[str, list[NodeCore]] = {}    # by hand from another core of this node
        self._output_publishers: dict[str, Any] = {}
        self._output_codecs: dict[str, Codec] = {}
        self._output_stats: dict[str, _OutputStats] = {}
        self._last_logged: dict[str, float] = {}
        self._waiting: dict[str, list[int]] = {core.name: [] for core in self.cores}   # input stamps until the next tick
        self._input_subscriptions = []
        self._setup_endpoints()
        self._check_qos_overrides()
        self._diagnostics = self.create_publisher(ros_type("diagnostic_msgs/msg/DiagnosticArray"), DIAGNOSTICS, output_qos(False))
        self._diagnostics_codec = self._codec(self._diagnostics, "diagnostic_msgs/msg/DiagnosticArray", publisher=True)
        self.create_timer(self.graph.diagnostics_period_s, self.publish_diagnostics)
        for core in self.cores:
            if core.period_ns:
                self.create_timer(core.period_ns / 1e9, lambda core=core: self._tick(core))
        inputs = sorted(self.resolve_topic_name(ros_topic(t)) for t in self._input_cores)
        local = sorted(self.resolve_topic_name(ros_topic(t)) for t in self._local_cores)
        self.get_logger().info(f"{', '.join(c.name for c in self.cores)}: subscribed to {', '.join(inputs)}; "
                               + (f"in-process {', '.join(local)}; " if local else "")
                               + f"publishing {', '.join(sorted(self.resolve_topic_name(ros_topic(t)) for t in self._output_publishers))}")

    # --- wiring -------------------------------------------------------------------------------------
    def _setup_endpoints(self) -> None:
        """Subscriptions to /tf and /tf_static come first: the executor serves ready subscriptions
        in the order they were made, so a transform and the data that needs it, both waiting,
        are taken in that order."""
        try:
            produced = {topic for core in self.cores for topic in core.outputs if topic not in GLOBAL_TOPICS}
            inputs = [(topic, spec, core) for core in self.cores for topic, spec in core.inputs.items()]
            for topic, spec, core in sorted(inputs, key=lambda item: item[0] not in GLOBAL_TOPICS):   # stable
                if topic in produced:
                    self._local_cores.setdefault(topic, []).append(core)
                    continue
                first = topic not in self._input_cores
                self._input_cores.setdefault(topic, []).append(core)
                if first:
                    for msgtype in spec.decoders:
                        self._subscribe(topic, msgtype, spec.sensor_data)
            for core in self.cores:
                for topic, spec in core.outputs.items():
                    if topic not in self._output_publishers:
                        publisher = self.create_publisher(
                            ros_type(spec.msgtype), ros_topic(topic), output_qos(spec.latched), qos_overriding_options=overridable())
                        self._output_publishers[topic] = publisher
                        self._output_codecs[topic] = self._codec(publisher, spec.msgtype, publisher=True)
                        self._output_stats[topic] = _OutputStats()
        except (InvalidQosOverridesError, InvalidParameterTypeException, InvalidParameterValueException, RuntimeError) as exc:
            raise ConfigError(f"QoS overrides of node {self.get_fully_qualified_name()}", [str(exc)]) from None

    def _subscribe(self, topic: str, msgtype: str, sensor_data: bool) -> None:
        events = SubscriptionEventCallbacks(message_lost=lambda info, topic=topic: self._lost(topic, info.total_count_change))
        wire: list[Codec] = []   # known once the subscription exists (its type hash)
        subscription = self.create_subscription(
            ros_type(msgtype), ros_topic(topic), lambda raw, topic=topic: self.on_raw(topic, wire[0], raw),
            input_qos(sensor_data), qos_overriding_options=overridable(), event_callbacks=events, raw=True)
        wire.append(self._codec(subscription, msgtype, publisher=False))
        self._input_subscriptions.append(subscription)

    def _codec(self, endpoint: Any, msgtype: str, publisher: bool) -> Codec:
        return codec(msgtype, endpoint_type_hash(self, endpoint.topic_name, msgtype, publisher))

    def _check_qos_overrides(self) -> None:
        """A QoS override for a topic this node does not have would be ignored: say so instead."""
        unknown = [n for n in given_parameter_names(self) if n.startswith("qos_overrides.") and not self.has_parameter(n)]
        if unknown:
            topics = sorted(f"{self.resolve_topic_name(ros_topic(t))}" for t in [*self._input_cores, *self._output_publishers])
            raise ConfigError(f"parameters of node {self.get_fully_qualified_name()}",
                              [f"{n}: no such QoS override (this node's topics: {', '.join(topics)}; "
                               "policies: history, depth, reliability, durability)" for n in unknown])

    # --- data flow ----------------------------------------------------------------------------------
    def now_ns(self) -> int:
        return self.get_clock().now().nanoseconds

    def on_raw(self, topic: str, wire: Codec, raw: bytes) -> None:
        """Serialized bytes from a subscription: deserialized, then on_message; bytes that are not a
        message of the topic's type are a rejection like any malformed message."""
        try:
            msg = wire.deserialize(raw)
        except Exception as exc:   # noqa: BLE001 - whatever the deserializer trips over, the node goes on
            reason = f"cannot deserialize {len(raw)} bytes as {wire.msgtype}: {type(exc).__name__}: {exc}"
            for core in self._input_cores[topic]:
                core.diagnostics.rejected(topic, reason, self.now_ns())
                self._log_problem(core, topic, reason)
            return
        self.on_message(topic, wire.msgtype, msg)

    def on_message(self, topic: str, msgtype: str, msg: Any) -> None:
        now = self.now_ns()
        for core in self._input_cores[topic]:
            self._step(core, topic, now, lambda core=core: core.receive(topic, msg, msgtype, now),
                       lambda: header_stamp_ns(msg.header, topic) if hasattr(msg, "header") else None)

    def _step(self, core: NodeCore, topic: str, now: int, step: Callable[[], list[Output]],
              stamp: Callable[[], int | None]) -> None:
        """One input into one core (`step`), its problems logged, its outputs published; `stamp` is
        the input's, kept for the latency of a fixed-rate core's next output."""
        stats = core.diagnostics.stats(topic)
        before, accepted = _problem_count(stats), stats.accepted
        outputs = self._guarded(core, topic, now, step)
        if _problem_count(stats) != before:
            self._log_problem(core, topic, stats.last_reason)
        if core.period_ns and stats.accepted > accepted and topic not in GLOBAL_TOPICS and (t := stamp()) is not None:
            self._waiting[core.name].append(t)
        self.publish(core, outputs)

    def _tick(self, core: NodeCore) -> None:
        now = self.now_ns()
        outputs = self._guarded(core, "timer", now, lambda: core.tick(now))
        waiting, self._waiting[core.name] = self._waiting[core.name], []
        self.publish(core, outputs, waiting)

    def _guarded(self, core: NodeCore, topic: str, now: int, step: Callable[[], list[Output]]) -> list[Output]:
        """Bad input is handled inside the core (InputError -> rejected); anything else escaping it (a
        decoder tripping over a message it should have rejected) is a bug: logged with its traceback,
        counted as failed (ERROR in /diagnostics), and the node goes on with the next message."""
        try:
            return step()
        except Exception as exc:   # noqa: BLE001 - one message must not take the node down
            self.get_logger().error(f"{core.name}: internal error on {topic}:\n{traceback.format_exc()}")
            core.diagnostics.failed(topic, f"{type(exc).__name__}: {exc}", now)
            return []

    def publish(self, core: NodeCore, outputs: list[Output], input_stamps: list[int] | None = None) -> None:
        """Encode and publish. Stamp-to-publish latency: from the output's own stamp when a message
        caused it (the front-ends keep the measurement's stamp); for a fixed-rate output
        (`input_stamps`), from the stamps of the data inputs (not /tf) accepted since the previous tick.
        An output nobody subscribes to is not encoded (markers cost more than the tracker's cycle).
        Cores of this node that read an output get it first, as it is."""
        for out in outputs:
            for consumer in self._local_cores.get(out.topic, ()):
                now = self.now_ns()
                self._step(consumer, out.topic, now, lambda c=consumer, o=out, t=now: c.process(o.topic, o.data, t),
                           lambda o=out: getattr(o.data, "stamp_ns", None))
            stats = self._output_stats[out.topic]
            publisher = self._output_publishers[out.topic]
            if publisher.get_subscription_count() == 0 and not core.outputs[out.topic].latched:
                stats.unheard += 1
                continue
            try:
                wire = self._output_codecs[out.topic]
                publisher.publish(wire.serialize(core.outputs[out.topic].encode(wire.types, out.data)))
            except Exception as exc:   # noqa: BLE001 - an output that cannot be encoded is counted, not fatal
                stats.failed += 1
                self.get_logger().error(f"{core.name}: cannot publish {out.topic}: {type(exc).__name__}: {exc}")
                continue
            stats.published += 1
            now = self.now_ns()
            stats.latencies_ms.extend((now - stamp) / 1e6 for stamp in (input_stamps if input_stamps is not None else [out.stamp_ns]))

    def _log_problem(self, core: NodeCore, topic: str, reason: str) -> None:
        """Log a rejected or dropped message: the first one per topic, then at most one per period."""
        now = time.monotonic()
        if now - self._last_logged.get(topic, -float("inf")) >= REJECTION_LOG_PERIOD_S:
            self._last_logged[topic] = now
            self.get_logger().warning(f"{core.name}: dropped a message on {self.resolve_topic_name(ros_topic(topic))}: "
                                      f"{reason} (counts in /diagnostics)")

    def _lost(self, topic: str, count: int) -> None:
        for core in self._input_cores[topic]:
            core.diagnostics.dropped(topic, "lost in transport (DDS)", count=count)

    # --- diagnostics --------------------------------------------------------------------------------
    def statuses(self, now: int) -> list[Status]:
        out = []
        for core in self.cores:
            status = core.status(now)
            values = dict(status.values)
            level, message = status.level, status.message
            for topic in core.outputs:
                stats = self._output_stats[topic]
                values[f"{topic} published"] = str(stats.published)
                values[f"{topic} not published (no subscriber)"] = str(stats.unheard)
                if stats.latencies_ms:
                    lat = np.asarray(stats.latencies_ms)
                    values[f"{topic} stamp_to_publish_ms p50"] = f"{np.percentile(lat, 50):.1f}"
                    values[f"{topic} stamp_to_publish_ms p99"] = f"{np.percentile(lat, 99):.1f}"
                if stats.failed:
                    values[f"{topic} publish_failed"] = str(stats.failed)
                    level = max(level, Level.ERROR)
                    message = f"{topic}: {stats.failed} outputs could not be published; {message}"
            out.append(dataclasses.replace(status, name=f"{self.get_name()}: {core.name}", level=level, message=message,
                                           hardware_id=status.hardware_id or self.get_fully_qualified_name(), values=values))
        return out

    def publish_diagnostics(self) -> None:
        now = self.now_ns()
        wire = self._diagnostics_codec
        self._diagnostics.publish(wire.serialize(from_report(wire.types, Report(now, self.statuses(now)))))
