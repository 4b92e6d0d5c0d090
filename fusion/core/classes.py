"""Object classes. Values follow autoware_perception_msgs/ObjectClassification so conversion is 1:1."""
from __future__ import annotations

from enum import IntEnum

from fusion.core.errors import InputError


class ObjectClass(IntEnum):
    UNKNOWN = 0
    CAR = 1
    TRUCK = 2
    BUS = 3
    TRAILER = 4
    MOTORCYCLE = 5
    BICYCLE = 6
    PEDESTRIAN = 7

    @classmethod
    def parse(cls, name: str) -> ObjectClass:
        """From a class name in any common spelling ('Car', 'cyclist', 'PEDESTRIAN', 'Van')."""
        key = name.strip().upper()
        key = _ALIASES.get(key, key)
        try:
            return cls[key]
        except KeyError:
            valid = ", ".join(c.name.lower() for c in cls)
            raise InputError("object class", f"unknown class {name!r} (known: {valid}; aliases: {', '.join(sorted(_ALIASES)).lower()})") from None


NUM_CLASSES = len(ObjectClass)

# Dataset vocabularies mapped onto ours (KITTI, View-of-Delft, nuScenes-style names).
_ALIASES = {
    "CYCLIST": "BICYCLE",
    "RIDER": "BICYCLE",
    "VAN": "CAR",
    "PERSON": "PEDESTRIAN",
    "PERSON_SITTING": "PEDESTRIAN",
    "MOTORCYCLIST": "MOTORCYCLE",
    "VEHICLE": "CAR",
}
