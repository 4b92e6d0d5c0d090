"""Diagnostics reports (fusion.graph.diagnostics.Report) <-> diagnostic_msgs/DiagnosticArray."""
from __future__ import annotations

from typing import Any

from fusion.graph.diagnostics import Level, Report, Status
from fusion.messages.header import MessageTypes, header_stamp_ns, make_header


def _status_message(types: MessageTypes, status: Status) -> Any:
    cls = types("diagnostic_msgs/msg/DiagnosticStatus")
    fields = dict(name=status.name, message=status.message, hardware_id=status.hardware_id,
                  values=[types("diagnostic_msgs/msg/KeyValue")(key=k, value=v) for k, v in status.values.items()])
    try:
        return cls(level=int(status.level), **fields)           # rosbags: byte is an int
    except (AssertionError, TypeError):
        return cls(level=bytes([int(status.level)]), **fields)  # rclpy: byte is a length-1 bytes


def from_report(types: MessageTypes, report: Report) -> Any:
    return types("diagnostic_msgs/msg/DiagnosticArray")(
        header=make_header(types, report.stamp_ns, ""), status=[_status_message(types, s) for s in report.statuses])


def to_report(msg: Any) -> Report:
    out = []
    for s in msg.status:
        level = s.level if isinstance(s.level, int) else s.level[0]
        out.append(Status(str(s.name), Level(int(level)), str(s.message), str(s.hardware_id),
                          {str(kv.key): str(kv.value) for kv in s.values}))
    return Report(header_stamp_ns(msg.header, "DiagnosticArray"), out)
