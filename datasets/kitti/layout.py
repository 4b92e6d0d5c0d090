"""Where things are in a KITTI tracking folder laid out like `../shared/data/kitti-tracking/train`,
and its seqmap (`SSSS empty 000000 NNNNNN`: sequence, unused, first frame, number of frames)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datasets.kitti.table import read_table
from fusion.core.errors import InputError

# Classes with detector outputs in the layout: PointRCNN has all three, RRC only Car and Pedestrian.
LIDAR_CLASSES = ("Car", "Pedestrian", "Cyclist")
CAMERA_CLASSES = ("Car", "Pedestrian")


@dataclass(frozen=True)
class SequenceEntry:
    name: str
    first_frame: int
    n_frames: int


def read_seqmap(path: str | Path) -> list[SequenceEntry]:
    """Seqmap rows; an empty seqmap, a repeated sequence or a non-positive length is an error."""

    def check(row: dict[str, object], source: str) -> None:
        if int(row["n_frames"]) <= 0 or int(row["first"]) < 0:  # type: ignore[call-overload]
            raise InputError(source, f"sequence {row['sequence']}: first frame {row['first']} and frame count {row['n_frames']} must be >= 0 and > 0")

    table = read_table(path, [("sequence", str), ("unused", str), ("first", int), ("n_frames", int)], check_row=check)
    entries = [SequenceEntry(str(s), int(f), int(n)) for s, f, n in zip(table["sequence"], table["first"], table["n_frames"])]
    names = [e.name for e in entries]
    if not entries:
        raise InputError(str(path), "seqmap lists no sequence")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(str(path), f"sequence(s) listed twice: {', '.join(repeated)}")
    return entries


@dataclass(frozen=True)
class KittiLayout:
    """Paths inside a KITTI tracking folder (the file names of the train folder)."""

    root: Path

    def __post_init__(self) -> None:
        if not self.root.is_dir():
            raise InputError(str(self.root), "KITTI data folder not found")

    @property
    def seqmap(self) -> Path:
        return self.root / "seqmap.txt"

    def labels(self, seq: str) -> Path:
        return self.root / "label_02" / f"{seq}.txt"

    def calibration(self, seq: str) -> Path:
        return self.root / "calib" / f"{seq}.txt"

    def lidar_detections(self, cls: str, seq: str) -> Path:
        return self.root / "det_pointrcnn" / cls / f"{seq}.txt"

    def camera_detections(self, cls: str, seq: str) -> Path:
        return self.root / "det_rrc2d" / cls / f"{seq}.txt"

    def sequences(self) -> list[SequenceEntry]:
        return read_seqmap(self.seqmap)
