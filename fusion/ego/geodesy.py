"""The local ENU `map` frame anchored at a geodetic origin (WGS-84, exact conversions by pymap3d),
and the Earth constants the inertial mechanisation and its simulator share."""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pymap3d

from fusion.core.errors import InputError

GRAVITY_MPS2 = 9.80665          # standard gravity; the map frame's z axis points against it
EARTH_RATE_RAD_S = 7.2921150e-5  # WGS-84 Earth rotation rate


class GeodeticOrigin(NamedTuple):
    """WGS-84 latitude/longitude [deg] and ellipsoidal altitude [m] of the map frame's origin."""

    latitude_deg: float
    longitude_deg: float
    altitude_m: float = 0.0

    def check(self, source: str = "geodetic origin") -> GeodeticOrigin:
        lat, lon, alt = (float(v) for v in self)
        if not (np.isfinite(alt) and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise InputError(source, f"latitude/longitude/altitude {lat}, {lon}, {alt} out of range")
        return GeodeticOrigin(lat, lon, alt)

    def to_enu(self, latitude_deg, longitude_deg, altitude_m) -> np.ndarray:
        """Geodetic coordinates (scalars or arrays) to map-frame ENU positions (..., 3): pymap3d's
        geodetic2enu, with the origin's ECEF position converted once (a third of the cost per fix)."""
        x, y, z = pymap3d.geodetic2ecef(latitude_deg, longitude_deg, altitude_m)
        x0, y0, z0 = _ecef(self)
        e, n, u = pymap3d.uvw2enu(x - x0, y - y0, z - z0, self.latitude_deg, self.longitude_deg)
        if np.ndim(e) == 0:
            return np.array((e, n, u), dtype=float)   # one fix (per message): a third of np.stack's cost
        return np.stack([np.asarray(e, dtype=float), np.asarray(n, dtype=float), np.asarray(u, dtype=float)], axis=-1)

    def to_geodetic(self, enu: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Map-frame positions (..., 3) to latitude [deg], longitude [deg], altitude [m]."""
        enu = np.asarray(enu, dtype=float)
        lat, lon, alt = pymap3d.enu2geodetic(enu[..., 0], enu[..., 1], enu[..., 2], *self)
        return np.asarray(lat, dtype=float), np.asarray(lon, dtype=float), np.asarray(alt, dtype=float)

    def earth_rate_enu(self) -> np.ndarray:
        """The Earth's rotation vector in the map frame [rad/s]."""
        lat = np.radians(self.latitude_deg)
        return EARTH_RATE_RAD_S * np.array([0.0, np.cos(lat), np.sin(lat)])


@lru_cache(maxsize=8)
def _ecef(origin: GeodeticOrigin) -> tuple[float, float, float]:
    """ECEF position [m] of a geodetic origin."""
    return pymap3d.geodetic2ecef(*origin)
