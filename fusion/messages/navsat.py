"""sensor_msgs/NavSatFix <-> GnssFix (same semantics: WGS-84 degrees, ellipsoidal altitude, ENU
covariance). NavSatFix has no velocity; a fix's optional ENU velocity is not carried."""
from __future__ import annotations

from typing import Any

import numpy as np

from fusion.core.measurements import GnssFix
from fusion.messages.header import MessageTypes, header_frame_id, header_stamp_ns, make_header

SERVICE_GPS = 1


def to_gnss_fix(msg: Any, sensor_id: str, topic: str = "") -> GnssFix:
    """The fix of a NavSatFix message; GnssFix validates ranges and finiteness (a no-fix message
    keeps whatever it carries)."""
    where = f"NavSatFix on {topic!r}" if topic else "NavSatFix"
    return GnssFix(header_stamp_ns(msg.header, where), header_frame_id(msg.header, where), sensor_id,
                   latitude_deg=float(msg.latitude), longitude_deg=float(msg.longitude), altitude_m=float(msg.altitude),
                   position_covariance=np.asarray(msg.position_covariance, dtype=float),
                   covariance_type=int(msg.position_covariance_type), status=int(msg.status.status))


def from_gnss_fix(types: MessageTypes, fix: GnssFix) -> Any:
    return types("sensor_msgs/msg/NavSatFix")(
        header=make_header(types, fix.stamp_ns, fix.frame_id),
        status=types("sensor_msgs/msg/NavSatStatus")(status=int(fix.status), service=SERVICE_GPS),
        latitude=float(fix.latitude_deg), longitude=float(fix.longitude_deg), altitude=float(fix.altitude_m),
        position_covariance=np.asarray(fix.position_covariance, dtype=float).reshape(-1),
        position_covariance_type=int(fix.covariance_type))
