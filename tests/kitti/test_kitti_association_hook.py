"""The KITTI pipeline's association hook: a replaced lidar cost (track_sequence's build_tracker), and
`taishan eval kitti --association learned` / `taishan eval association` through it."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from datasets.kitti.config import load_kitti_config
from datasets.kitti.layout import KittiLayout
from datasets.kitti.pipeline import track_sequence
from datasets.kitti.sequence import load_sequence
from fusion.cli import main
from fusion.config.loader import config_dir
from fusion.learned.association.config import KIND, AssociationConfig
from fusion.learned.association.cost import tracker_with_cost
from fusion.learned.association.model import build_association_model
from fusion.learned.checkpoint import save_checkpoint
from fusion.tracking.association import Candidates


class NeverAssociate:
    """A lidar cost that leaves every pair unassigned (each detection starts a track)."""

    unassigned_cost = 1.0

    def bind(self, tracker):
        self.tracker = tracker
        return self

    def __call__(self, pairs: Candidates) -> np.ndarray:
        return np.full(len(pairs), np.inf)


@pytest.mark.parametrize("use_camera", [False, True])
def test_build_tracker_replaces_the_lidar_association(small_kitti: Path, use_camera: bool):
    layout = KittiLayout(small_kitti)
    entry = next(e for e in layout.sequences() if e.name == "0011")
    sequence = load_sequence(layout, entry, ["Car"], use_camera)
    config = load_kitti_config(config_dir() / "kitti.yaml")
    plain = track_sequence(sequence, "Car", config, use_camera).objects
    seen = []
    cost = NeverAssociate()

    def build(tracker_config, vehicle, tree):
        return tracker_with_cost(tracker_config, vehicle, tree, cost, 0.997)

    hooked = track_sequence(sequence, "Car", config, use_camera, build_tracker=build,
                            before_step=lambda tracker, frame, boxes: seen.append(frame),
                            after_step=lambda tracker: seen.append(tracker is cost.tracker)).objects
    assert len(plain) > 0
    # the hook's tracker ran: nothing associates, so every lidar box starts a new track, which only the
    # camera's hit can confirm in its first frame (confirm_hits 2)
    if use_camera:
        assert len(set(hooked.track_ids.tolist())) > len(set(plain.track_ids.tolist()))
    else:
        assert len(hooked) == 0
    # the before/after hooks ran around every frame's 3D update, with the hook's tracker
    assert seen[0::2] == list(range(sequence.n_frames)) and all(seen[1::2])


@pytest.fixture(scope="module")
def association_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `taishan train association` run layout (untrained weights): fold 0 holds out 0000, fold 1 0011."""
    run = tmp_path_factory.mktemp("association_run")
    config = AssociationConfig()
    folds = []
    for k, held_out in enumerate((["0000"], ["0011"])):
        path = save_checkpoint(run / "folds" / str(k) / "model.safetensors", build_association_model(config), KIND, config)
        folds.append({"held_out": held_out, "checkpoint": f"elsewhere/folds/{k}/{path.name}"})
    (run / "folds.json").write_text(json.dumps({"folds": folds}))
    return run


def test_eval_kitti_with_learned_association(small_kitti: Path, association_run: Path, tmp_path: Path, capsys):
    out, figures = tmp_path / "out", tmp_path / "learned.json"
    assert main(["eval", "kitti", "--data", str(small_kitti), "--out", str(out), "--classes", "Car", "--no-3d",
                 "--association", "learned", "--checkpoint", str(association_run), "--blend", "0.3",
                 "--json", str(figures)]) == 0
    assert "association: learned" in capsys.readouterr().out
    assert 0.0 <= json.loads(figures.read_text())["Car"]["HOTA"] <= 100.0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["association"].startswith("learned (blend w=0.3")
    # one model file serves every sequence
    model = association_run / "folds" / "0" / "model.safetensors"
    assert main(["eval", "kitti", "--data", str(small_kitti), "--out", str(tmp_path / "one"), "--classes", "Car", "--no-3d",
                 "--sensors", "lidar", "--association", "learned", "--checkpoint", str(model)]) == 0


@pytest.mark.parametrize("extra, message", [
    (["--association", "learned"], "needs --checkpoint"),
    (["--checkpoint", "x.safetensors"], "only apply with --association learned"),
    (["--association", "learned", "--checkpoint", "absent.safetensors"], "absent.safetensors: checkpoint not found"),
    (["--association", "learned", "--checkpoint", "RUN", "--blend", "1.5"], "outside [0, 1]"),
])
def test_learned_association_option_errors(small_kitti: Path, association_run: Path, tmp_path: Path, capsys, extra, message):
    extra = [str(association_run) if a == "RUN" else a for a in extra]
    assert main(["eval", "kitti", "--data", str(small_kitti), "--out", str(tmp_path), "--classes", "Car", *extra]) == 2
    assert message in capsys.readouterr().err


def test_run_folder_must_cover_every_sequence(small_kitti: Path, association_run: Path, tmp_path: Path, capsys):
    partial = tmp_path / "run"
    partial.mkdir()
    folds = json.loads((association_run / "folds.json").read_text())["folds"][:1]
    (partial / "folds.json").write_text(json.dumps({"folds": folds}))
    (partial / "folds").symlink_to(association_run / "folds")
    assert main(["eval", "kitti", "--data", str(small_kitti), "--out", str(tmp_path / "out"), "--classes", "Car",
                 "--association", "learned", "--checkpoint", str(partial)]) == 2
    assert "sequence 0011 is in no fold" in capsys.readouterr().err


def test_eval_association_shows_kalman_and_learned_side_by_side(small_kitti: Path, association_run: Path, tmp_path: Path,
                                                                   capsys):
    out = tmp_path / "out"
    assert main(["eval", "association", "--data", str(small_kitti), "--run", str(association_run), "--out", str(out),
                 "--classes", "Car"]) == 0
    printed = capsys.readouterr().out
    assert "kalman" in printed and "learned" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["classes"]["Car"]) == {"kalman", "learned"} and summary["sequences"] == ["0000", "0011"]
    assert (out / "kalman" / "data" / "0011.txt").is_file() and (out / "learned" / "data" / "0011.txt").is_file()
