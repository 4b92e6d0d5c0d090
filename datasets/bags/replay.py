"""Replay one bag through the graph's node cores (fusion.graph), as fast as the CPU allows.

Messages go to the Pipeline in the bag's log-time order; header stamps drive the filters, as in
the live graph. Topics no node reads are not even read, and are noted once each (the ground-truth
topics are read for evaluation instead). A message that cannot be decoded is a rejection in the
subscribing node's diagnostics, not an error. With `out`, the graph's outputs (object list as
TrackedObjects, Detection3DArray and markers, ego odometry, tf, front-end detections,
diagnostics) are recorded, optionally with the inputs, through the atomic BagWriter.
"""
from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from datasets.bags.reader import BagReader, RawMessage
from datasets.bags.writer import BagWriter
from datasets.simulation.scenario import TruthFrame
from fusion.core.errors import InputError
from fusion.core.objects import ObjectList
from fusion.ego.state import Odometry
from fusion.graph.build import GraphConfigs, build_pipeline
from fusion.graph.node import Output
from fusion.graph.pipeline import Pipeline
from fusion.graph.topics import DIAGNOSTICS, EGO_ODOMETRY, GROUND_TRUTH_OBJECTS, GROUND_TRUTH_ODOMETRY, OBJECTS
from fusion.messages import diagnostics, ground_truth, odometry

_TRUTH_TOPICS = frozenset({GROUND_TRUTH_OBJECTS, GROUND_TRUTH_ODOMETRY})


@dataclass
class ReplayResult:
    """What one replay produced and met: object lists and ground truth for scoring, counts,
    timings, damage found in the bag (problems) and skipped topics (notices)."""

    bag: str
    object_lists: list[ObjectList] = field(default_factory=list)
    truth: list[TruthFrame] = field(default_factory=list)
    ego_truth: list[Odometry] = field(default_factory=list)       # /ground_truth/odometry (with truth)
    ego_estimate: list[Odometry] = field(default_factory=list)    # the ego node's odometry (with truth)
    messages_read: int = 0      # on the topics the graph (and, with truth, the evaluation) reads
    messages_used: int = 0      # of them, the ones a node took
    bag_start_ns: int | None = None
    bag_end_ns: int | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0            # this process's CPU time over the same span (threads included)
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    output: str | None = None

    @property
    def duration_s(self) -> float:
        if self.bag_start_ns is None or self.bag_end_ns is None:
            return 0.0
        return (self.bag_end_ns - self.bag_start_ns) / 1e9

    @property
    def realtime_factor(self) -> float:
        return self.duration_s / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def cpu_realtime_factor(self) -> float:
        """Data duration over CPU time: the real-time factor on a core of its own (wall time also
        counts the time other processes took the core)."""
        return self.duration_s / self.cpu_s if self.cpu_s > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {"bag": self.bag, "messages_read": self.messages_read, "messages_used": self.messages_used,
                "duration_s": round(self.duration_s, 3), "wall_s": round(self.wall_s, 3),
                "realtime_factor": round(self.realtime_factor, 2), "cpu_s": round(self.cpu_s, 3),
                "cpu_realtime_factor": round(self.cpu_realtime_factor, 2), "object_lists": len(self.object_lists),
                "truth_frames": len(self.truth), "problems": self.problems, "notices": self.notices,
                "diagnostics": self.diagnostics, "output": self.output}


class _Recorder:
    """Writes the graph's outputs (and optionally the inputs) to the output bag."""

    def __init__(self, writer: BagWriter, pipeline: Pipeline, reader: BagReader, inputs: bool):
        self.writer, self.pipeline, self.reader, self.inputs = writer, pipeline, reader, inputs

    def outputs(self, outputs: list[Output]) -> None:
        types = self.writer.types
        for out in outputs:
            if out.topic == DIAGNOSTICS:
                self.writer.write(DIAGNOSTICS, diagnostics.from_report(types, out.data), out.stamp_ns)
                continue
            spec = self.pipeline.output_specs[out.topic]
            self.writer.write(out.topic, spec.encode(types, out.data), out.stamp_ns, spec.msgtype)

    def input(self, raw: RawMessage) -> None:
        if self.inputs and not self.reader.is_ros1:
            msgdef, digest = self.reader.definition(raw)
            self.writer.write_raw(raw.topic, raw.msgtype, raw.log_ns, raw.data, msgdef, digest)


def _status_summary(report: Any) -> dict[str, Any]:
    return {s.name: {"level": s.level.name, "message": s.message} for s in report.statuses}


def replay_bag(path: str | Path, configs: GraphConfigs, *, out: str | Path | None = None, record_inputs: bool = False,
               overwrite: bool = False, truth: bool = False, progress: bool = False) -> ReplayResult:
    """Replay one bag; never raises for damaged bags or bad messages (see ReplayResult.problems).
    truth: also collect /ground_truth/objects and /ground_truth/odometry, and the ego node's odometry
    (for evaluation). wall_s and cpu_s count from the first message read to the last output
    written (building the graph and the message decoders is not included)."""
    result = ReplayResult(str(path))
    with BagReader(path) as reader:
        pipeline = build_pipeline(configs, set(reader.topics))
        wanted = pipeline.input_topics | (_TRUTH_TOPICS if truth else frozenset())
        reader.prepare(wanted)
        bar = tqdm(desc=f"replay {Path(path).name}", unit="msg", file=sys.stderr, disable=not progress, smoothing=0.1)
        started, cpu_started = time.perf_counter(), time.process_time()
        with BagWriter(out, overwrite=overwrite) if out else nullcontext() as writer:
            recorder = _Recorder(writer, pipeline, reader, record_inputs) if writer else None
            if writer and record_inputs and reader.is_ros1:
                result.notices.append("inputs of a ROS 1 bag are not recorded in the output (their bytes are ROS 1 serialized)")
            used: dict[tuple[str, str], bool] = {}   # (topic, type) -> does a node read it
            last_report = None
            read = taken = 0
            start_ns = end_ns = None
            for raw in reader.messages(wanted):   # other topics are not even read
                channel, log_ns = raw.channel, raw.log_ns
                topic, msgtype = channel.topic, channel.msgtype
                read += 1
                bar.update()
                if start_ns is None:
                    start_ns = end_ns = log_ns
                elif log_ns < start_ns:
                    start_ns = log_ns
                elif log_ns > end_ns:
                    end_ns = log_ns
                if truth and topic in _TRUTH_TOPICS:
                    _collect_truth(reader, raw, result)
                    continue
                key = (topic, msgtype)
                if key not in used:
                    used[key] = pipeline.accepts(*key)   # the topic is wanted; is its type one a node reads
                    if not used[key]:
                        result.notices.append(f"skipping topic {topic!r} ({msgtype}): no node of the graph reads it")
                if not used[key]:
                    continue
                taken += 1
                if recorder:
                    recorder.input(raw)
                try:
                    msg = reader.decode(raw)
                except InputError as exc:
                    outputs = pipeline.advance(log_ns)
                    pipeline.reject(topic, exc.reason, log_ns)
                else:
                    outputs = pipeline.feed(topic, msg, msgtype, log_ns)
                if outputs:
                    last_report = _handle(outputs, result, recorder, truth) or last_report
            result.messages_read, result.messages_used = read, taken
            result.bag_start_ns, result.bag_end_ns = start_ns, end_ns
            result.notices.extend(f"skipping topic {topic!r} ({msgtype}): no node of the graph reads it"
                                  for topic, msgtype in reader.topics.items() if topic not in wanted)
            if result.bag_end_ns is not None:
                last_report = _handle(pipeline.finish(result.bag_end_ns), result, recorder, truth) or last_report
            bar.close()
            if last_report is not None:
                result.diagnostics = _status_summary(last_report)
        result.wall_s = time.perf_counter() - started
        result.cpu_s = time.process_time() - cpu_started
        result.problems = list(reader.problems)
        result.notices = reader.notices + result.notices
    result.output = str(out) if out else None
    return result


def _collect_truth(reader: BagReader, raw: RawMessage, result: ReplayResult) -> None:
    try:
        msg = reader.decode(raw)
        if raw.topic == GROUND_TRUTH_OBJECTS:
            result.truth.append(ground_truth.to_truth_frame(msg, raw.topic))
        else:
            result.ego_truth.append(odometry.to_odometry(msg, raw.topic))
    except InputError as exc:
        result.problems.append(f"ground truth on {raw.topic} at log time {raw.log_ns} ns unusable: {exc}")


def _handle(outputs: list[Output], result: ReplayResult, recorder: _Recorder | None, truth: bool) -> Any:
    """Collect object lists (and, for evaluation, the ego odometry), record outputs; returns the
    last diagnostics report among them."""
    report = None
    for out in outputs:
        if out.topic == OBJECTS:
            result.object_lists.append(out.data)
        elif out.topic == EGO_ODOMETRY and truth:
            result.ego_estimate.append(out.data)
        elif out.topic == DIAGNOSTICS:
            report = out.data
    if recorder:
        recorder.outputs(outputs)
    return report
