"""radar_msgs/RadarScan <-> RadarDetections.

RadarScan (ros-perception/radar_msgs) carries `header` and `returns`, a list of RadarReturn with
range [m], azimuth and elevation [rad, REP 103], doppler_velocity [m/s, radial, positive = moving
away] and amplitude [dB]. Non-finite returns are dropped and counted; an empty scan is valid.
"""
from __future__ import annotations

from operator import attrgetter
from typing import Any

import numpy as np

from fusion.core.errors import InputError
from fusion.core.measurements import RadarDetections
from fusion.messages.header import MessageTypes, make_header, read_header

RETURN_FIELDS = ("range", "azimuth", "elevation", "doppler_velocity", "amplitude")
_return_values = attrgetter(*RETURN_FIELDS)


def to_radar_detections(msg: Any, sensor_id: str, topic: str = "") -> tuple[RadarDetections, int]:
    """The scan's returns as RadarDetections (amplitude becomes rcs), and the number of returns
    dropped because a value was NaN or infinite (or the range negative)."""
    stamp_ns, frame_id, source = read_header(msg, "RadarScan", topic)
    returns = getattr(msg, "returns", None)
    if returns is None:
        raise InputError(source, "message has no 'returns' field (is it a radar_msgs/RadarScan?)")
    try:
        table = np.array([_return_values(r) for r in returns], dtype=float).reshape(-1, 5)
    except AttributeError as exc:
        raise InputError(source, f"a return lacks a RadarReturn field: {exc}") from None
    try:   # RadarDetections refuses exactly the returns dropped here, so a clean scan is checked once
        return _detections(stamp_ns, frame_id, sensor_id, table), 0
    except InputError:
        keep = np.isfinite(table).all(axis=1) & (table[:, 0] >= 0)
        return _detections(stamp_ns, frame_id, sensor_id, table[keep]), len(keep) - int(np.count_nonzero(keep))


def _detections(stamp_ns: int, frame_id: str, sensor_id: str, table: np.ndarray) -> RadarDetections:
    """RadarDetections of a (N, 5) table of range, azimuth, elevation, range rate, rcs."""
    return RadarDetections(stamp_ns, frame_id, sensor_id, range=table[:, 0], azimuth=table[:, 1],
                           elevation=table[:, 2], range_rate=table[:, 3], rcs=table[:, 4])


def from_radar_detections(types: MessageTypes, detections: RadarDetections) -> Any:
    """A RadarScan; rcs [dBsm] becomes the return's amplitude [dB]."""
    ret = types("radar_msgs/msg/RadarReturn")
    table = np.column_stack([detections.range, detections.azimuth, detections.elevation, detections.range_rate,
                             detections.rcs]).tolist()
    returns = [ret(range=r, azimuth=a, elevation=e, doppler_velocity=v, amplitude=p) for r, a, e, v, p in table]
    return types("radar_msgs/msg/RadarScan")(header=make_header(types, detections.stamp_ns, detections.frame_id), returns=returns)
