"""KITTI fixtures: the real train folder, and a small copy of two sequences' first frames."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# 0000 starts with a cyclist and pedestrians, 0011 with cars and pedestrians.
SEQUENCES = ("0000", "0011")
FRAMES = 40


@pytest.fixture(scope="session")
def kitti_train(shared_data: Path) -> Path:
    root = shared_data / "kitti-tracking" / "train"
    if not (root / "seqmap.txt").is_file():
        pytest.skip(f"KITTI tracking train folder {root} is absent")
    return root


def _first_frames(src: Path, dst: Path, frames: int, separator: str | None) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    keep = [line for line in src.read_text().splitlines(keepends=True)
            if line.strip() and int(line.split(separator)[0]) < frames]
    dst.write_text("".join(keep))


@pytest.fixture(scope="session")
def small_kitti(kitti_train: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder laid out like the train folder holding the first 40 frames of sequences 0000 and 0011."""
    root = tmp_path_factory.mktemp("kitti_small")
    (root / "seqmap.txt").write_text("".join(f"{seq} empty 000000 {FRAMES:06d}\n" for seq in SEQUENCES))
    (root / "calib").mkdir()
    for seq in SEQUENCES:
        shutil.copy(kitti_train / "calib" / f"{seq}.txt", root / "calib" / f"{seq}.txt")
        _first_frames(kitti_train / "label_02" / f"{seq}.txt", root / "label_02" / f"{seq}.txt", FRAMES, None)
        for detector in ("det_pointrcnn", "det_rrc2d"):
            for folder in sorted((kitti_train / detector).iterdir()):
                _first_frames(folder / f"{seq}.txt", root / detector / folder.name / f"{seq}.txt", FRAMES, ",")
    return root
