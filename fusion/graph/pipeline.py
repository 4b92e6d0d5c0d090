"""The replay runtime: node cores wired by topic and driven in log-time order, without middleware.

`feed(topic, msg, msgtype, log_ns)` is what a subscription callback is in the live graph: the
pipeline first fires every timer due at or before log_ns (fixed-rate outputs, diagnostics), then
hands the message to each node subscribed to the topic. What a node outputs goes, as core data and
in the same instant, to the nodes subscribed to that output's topic (in the live graph it would go
through a message), and is returned to the caller to record. Order is fully determined by the
input order, the node order and the timers, so a replay is deterministic.
"""
from __future__ import annotations

import heapq
from typing import Any

from fusion.core.time import NS_PER_S
from fusion.graph.diagnostics import Report
from fusion.graph.node import NodeCore, Output, OutputSpec
from fusion.graph.topics import DIAGNOSTICS


class Pipeline:
    def __init__(self, nodes: list[NodeCore], diagnostics_period_ns: int = NS_PER_S):
        self.nodes = list(nodes)
        self.diagnostics_period_ns = int(diagnostics_period_ns)
        self._subscribers: dict[str, list[NodeCore]] = {}
        self.output_specs: dict[str, OutputSpec] = {}
        for node in self.nodes:
            for topic in node.inputs:
                self._subscribers.setdefault(topic, []).append(node)
            self.output_specs.update(node.outputs)
        # Topics the graph consumes from outside (bag or sensors): subscribed, not produced inside.
        self.input_topics: frozenset[str] = frozenset(self._subscribers) - frozenset(self.output_specs)
        self._timers: list[tuple[int, int, int]] = []   # (due ns, node index or -1 for diagnostics, period)
        self.now_ns: int | None = None

    def accepts(self, topic: str, msgtype: str) -> bool:
        return any(node.accepts(topic, msgtype) for node in self._subscribers.get(topic, ()))

    def _start_timers(self, now_ns: int) -> None:
        periods = [(i, node.period_ns) for i, node in enumerate(self.nodes) if node.period_ns]
        periods.append((-1, self.diagnostics_period_ns))
        for index, period in periods:
            due = -(-now_ns // period) * period   # the first multiple of the period at or after now
            heapq.heappush(self._timers, (due, index, period))

    def advance(self, now_ns: int) -> list[Output]:
        """Fire every timer due at or before now_ns, in due order (node order breaks ties)."""
        if self.now_ns is None:
            self._start_timers(now_ns)
            self.now_ns = now_ns
        elif now_ns > self.now_ns:
            self.now_ns = now_ns
        outputs: list[Output] = []
        timers = self._timers
        while timers and timers[0][0] <= now_ns:
            due, index, period = heapq.heappop(timers)
            if index < 0:
                outputs.append(Output(DIAGNOSTICS, due, Report(due, [n.status(due) for n in self.nodes])))
            else:
                outputs.extend(self._route(self.nodes[index].tick(due), due))
            heapq.heappush(timers, (due + period, index, period))
        return outputs

    def feed(self, topic: str, msg: Any, msgtype: str, log_ns: int) -> list[Output]:
        """One message from outside at log time log_ns; returns every output it (and the timers
        due before it) caused, in the order they were made."""
        outputs = self.advance(log_ns)
        for node in self._subscribers.get(topic, ()):
            produced = node.receive(topic, msg, msgtype, log_ns)
            if produced:
                outputs.extend(self._route(produced, log_ns))
        return outputs

    def reject(self, topic: str, reason: str, log_ns: int) -> None:
        """A message on `topic` that could not even be decoded: a rejection for every subscriber."""
        for node in self._subscribers.get(topic, ()):
            node.diagnostics.rejected(topic, reason, log_ns)

    def _route(self, produced: list[Output], now_ns: int) -> list[Output]:
        """The outputs, and what the nodes subscribed to them make of them, breadth first (the list
        is its own queue: each output is handed on in the order it was made)."""
        done = list(produced)
        subscribers = self._subscribers
        i = 0
        while i < len(done):
            out = done[i]
            i += 1
            for node in subscribers.get(out.topic, ()):
                done.extend(node.process(out.topic, out.data, now_ns))
        return done

    def finish(self, end_ns: int) -> list[Output]:
        """Fire the timers up to end_ns (the end of the recording)."""
        return self.advance(end_ns) if self.now_ns is not None else []
