"""Diagnostics reports (fusion.graph.diagnostics.Report) <-> diagnostic_msgs/DiagnosticArray."""
from __future__ import annotations

from typing import Any

from fusion.graph.diagnostics import Level, Report, Status
from fusion.messages.header import MessageTypes, header_stamp_ns, make_header


def _byte(cls: Any, field: str, value: int) -> Any:
    """The value of a `byte` field: rclpy's classes hold it as a length-1 bytes (they declare the
    field 'octet'), rosbags' as an int."""
    declared = getattr(cls, "get_fields_and_field_types", None)
    return bytes([value]) if declared is not None and declared().get(field) == "octet" else value


def _status_message(types: MessageTypes, status: Status) -> Any:
    cls, key_value = types("diagnostic_msgs/msg/DiagnosticStatus"), types("diagnostic_msgs/msg/KeyValue")
    return cls(level=_byte(cls, "level", int(status.level)), name=status.name, message=status.message,
               hardware_id=status.hardware_id, values=[key_value(key=k, value=v) for k, v in status.values.items()])


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
