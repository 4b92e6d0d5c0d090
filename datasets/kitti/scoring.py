"""Score KITTI tracking results with TrackEval.

2D: TrackEval's Kitti2DBox dataset (KITTI's own conventions: DontCare regions, Van / person-sitting
distractors, truncation > 0 and occlusion > 2 ignored, unmatched boxes under 25 px high dropped)
with HOTA, CLEAR and Identity. KITTI scores Car and Pedestrian only; Cyclist is scored here by the
Pedestrian rules without a distractor class (an extension, marked as such in reports).

3D: the same preprocessing, but similarity is the 3D IoU of the boxes, and CLEAR matches at 3D IoU
0.25 as AB3DMOT's evaluation does (its table: Car MOTA 86.47 on the KITTI val split).

TrackEval reads the KITTI layout itself; we only point it at the label files, the seqmap and the
result files through a temporary folder of links.
"""
from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from datasets.kitti.box_iou import iou_3d
from datasets.kitti.frames import kitti_to_flu_boxes
from datasets.kitti.layout import KittiLayout, SequenceEntry
from datasets.kitti.objects import read_tracking_file
from fusion.core.errors import InputError

TRACKER_NAME = "taishan"
IOU_3D_THRESHOLD = 0.25
SCORED_CLASSES = ("Car", "Pedestrian", "Cyclist")
KITTI_2D_CLASSES = ("Car", "Pedestrian")  # what the KITTI benchmark itself evaluates


def _kitti_datasets():
    """TrackEval dataset classes, built on first use so that importing this module stays cheap."""
    from trackeval.datasets import Kitti2DBox

    class KittiBoxes(Kitti2DBox):
        """Kitti2DBox that also scores 'cyclist' (by the pedestrian rules, with no distractor class)."""

        def __init__(self, config: dict[str, Any]):
            wanted = [c.lower() for c in config["CLASSES_TO_EVAL"]]
            super().__init__({**config, "CLASSES_TO_EVAL": [c for c in wanted if c != "cyclist"] or ["car"]})
            self.class_list = wanted

        def get_preprocessed_seq_data(self, raw_data: dict[str, Any], cls: str) -> dict[str, Any]:
            if cls != "cyclist":
                return super().get_preprocessed_seq_data(raw_data, cls)
            ids = self.class_name_to_class_id
            hidden = [ids["pedestrian"], ids["person"]]

            def as_pedestrian(classes: np.ndarray) -> np.ndarray:
                return np.where(classes == ids["cyclist"], ids["pedestrian"], np.where(np.isin(classes, hidden), -1, classes))

            remapped = {**raw_data,
                        "gt_classes": [as_pedestrian(c) for c in raw_data["gt_classes"]],
                        "tracker_classes": [as_pedestrian(c) for c in raw_data["tracker_classes"]]}
            return super().get_preprocessed_seq_data(remapped, "pedestrian")

    class KittiBoxes3D(KittiBoxes):
        """KittiBoxes with 3D IoU similarity: each det row is the 2D box (for the KITTI min-height and
        DontCare rules) followed by the 3D box (centre, size, yaw in KITTI_FRAME)."""

        def _load_raw_file(self, tracker: str, seq: str, is_gt: bool) -> dict[str, Any]:
            raw = super()._load_raw_file(tracker, seq, is_gt)
            path = (Path(self.gt_fol) / "label_02" / f"{seq}.txt" if is_gt
                    else Path(self.tracker_fol) / tracker / self.tracker_sub_fol / f"{seq}.txt")
            rows = read_tracking_file(path)
            centers, sizes, yaws = kitti_to_flu_boxes(rows.dimensions, rows.locations, rows.rotation_y)
            box3d = {(int(f), int(i)): np.concatenate([c, s, [y]])
                     for f, i, c, s, y in zip(rows.frames, rows.track_ids, centers, sizes, yaws) if i >= 0}
            key = "gt" if is_gt else "tracker"
            for t, (ids, dets) in enumerate(zip(raw[f"{key}_ids"], raw[f"{key}_dets"])):
                extra = np.array([box3d[(t, int(i))] for i in ids]).reshape(-1, 7)
                raw[f"{key}_dets"][t] = np.hstack([dets, extra])
            if is_gt:  # TrackEval's overlap with ignore regions needs rows as wide as the det rows
                raw["gt_crowd_ignore_regions"] = [np.hstack([r, np.zeros((len(r), 7))]) for r in raw["gt_crowd_ignore_regions"]]
            return raw

        def _calculate_similarities(self, gt_dets_t: np.ndarray, tracker_dets_t: np.ndarray) -> np.ndarray:
            g, d = gt_dets_t, tracker_dets_t
            return iou_3d(g[:, 4:7], g[:, 7:10], g[:, 10], d[:, 4:7], d[:, 7:10], d[:, 10])

        def get_preprocessed_seq_data(self, raw_data: dict[str, Any], cls: str) -> dict[str, Any]:
            # Kitti2DBox drops tracker boxes matched to distractors at similarity 0.5; scaling 3D IoU by
            # 0.5 / 0.25 for that step makes it match at the 3D threshold, then the scale is undone.
            scale = 0.5 / IOU_3D_THRESHOLD
            scaled = {**raw_data, "similarity_scores": [s * scale for s in raw_data["similarity_scores"]]}
            data = super().get_preprocessed_seq_data(scaled, cls)
            data["similarity_scores"] = [s / scale for s in data["similarity_scores"]]
            return data

    return KittiBoxes, KittiBoxes3D


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target.resolve())


def _summarise(res: dict[str, Any], classes: list[str], three_d: bool) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for cls in classes:
        r = res[cls.lower()]
        hota, clear = r["HOTA"], r["CLEAR"]
        fig = {"HOTA": 100 * float(np.mean(hota["HOTA"])), "DetA": 100 * float(np.mean(hota["DetA"])),
               "AssA": 100 * float(np.mean(hota["AssA"])), "LocA": 100 * float(np.mean(hota["LocA"])),
               "MOTA": 100 * float(clear["MOTA"]), "MOTP": 100 * float(clear["MOTP"]),
               "IDSW": int(clear["IDSW"]), "FP": int(clear["CLR_FP"]), "FN": int(clear["CLR_FN"]),
               "TP": int(clear["CLR_TP"]), "Frag": int(clear["Frag"]), "MT": int(clear["MT"]), "ML": int(clear["ML"]),
               "HOTA_alpha": (100 * np.asarray(hota["HOTA"])).round(3).tolist()}
        if "Identity" in r:
            fig["IDF1"] = 100 * float(r["Identity"]["IDF1"])
        if three_d:
            fig = {f"{k}_3d": v for k, v in fig.items() if k in ("HOTA", "DetA", "AssA", "MOTA", "MOTP", "IDSW", "FP", "FN", "HOTA_alpha")}
        out[cls] = fig
    return out


def score_results(data_root: Path, results_dir: Path, sequences: list[SequenceEntry], classes: list[str],
                  with_3d: bool = True) -> dict[str, dict[str, Any]]:
    """Per class: 2D figures (HOTA, DetA, AssA, LocA, MOTA, MOTP, IDSW, FP, FN, IDF1, HOTA_alpha, ...)
    and, with_3d, the same at 3D IoU with a `_3d` suffix (MOTA_3d at 3D IoU 0.25).

    `results_dir` holds one KITTI result file per sequence (SSSS.txt)."""
    import trackeval
    from trackeval.utils import TrackEvalException

    unknown = [c for c in classes if c not in SCORED_CLASSES]
    if unknown:
        raise InputError("classes", f"cannot score {unknown} (scored: {', '.join(SCORED_CLASSES)})")
    layout = KittiLayout(Path(data_root))
    KittiBoxes, KittiBoxes3D = _kitti_datasets()
    with tempfile.TemporaryDirectory(prefix="taishan_trackeval_") as tmp:
        gt, trackers = Path(tmp) / "gt", Path(tmp) / "trackers"
        for entry in sequences:
            for path in (layout.labels(entry.name), results_dir / f"{entry.name}.txt"):
                if not path.is_file():
                    raise InputError(str(path), "file not found (needed for scoring)")
            _link(layout.labels(entry.name), gt / "label_02" / f"{entry.name}.txt")
            _link(results_dir / f"{entry.name}.txt", trackers / TRACKER_NAME / "data" / f"{entry.name}.txt")
        (gt / "evaluate_tracking.seqmap.training").write_text(
            "".join(f"{e.name} empty {e.first_frame:06d} {e.n_frames:06d}\n" for e in sequences))
        config = {"GT_FOLDER": str(gt), "TRACKERS_FOLDER": str(trackers), "OUTPUT_FOLDER": str(Path(tmp) / "out"),
                  "TRACKERS_TO_EVAL": [TRACKER_NAME], "CLASSES_TO_EVAL": [c.lower() for c in classes],
                  "SPLIT_TO_EVAL": "training", "PRINT_CONFIG": False}
        evaluator = trackeval.Evaluator({"USE_PARALLEL": False, "PRINT_RESULTS": False, "PRINT_CONFIG": False,
                                         "TIME_PROGRESS": False, "OUTPUT_SUMMARY": False, "OUTPUT_DETAILED": False,
                                         "PLOT_CURVES": False, "LOG_ON_ERROR": None, "BREAK_ON_ERROR": True})
        runs = [(KittiBoxes(config), [trackeval.metrics.HOTA({"PRINT_CONFIG": False}),
                                      trackeval.metrics.CLEAR({"PRINT_CONFIG": False}),
                                      trackeval.metrics.Identity({"PRINT_CONFIG": False})], False)]
        if with_3d:
            runs.append((KittiBoxes3D(config), [trackeval.metrics.HOTA({"PRINT_CONFIG": False}),
                                                trackeval.metrics.CLEAR({"PRINT_CONFIG": False, "THRESHOLD": IOU_3D_THRESHOLD})], True))
        figures: dict[str, dict[str, Any]] = {c: {} for c in classes}
        for dataset, metrics, three_d in runs:
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    res, _ = evaluator.evaluate([dataset], metrics)
            except TrackEvalException as exc:
                raise InputError(str(results_dir), f"TrackEval rejected the results: {exc}") from None
            combined = res[dataset.get_name()][TRACKER_NAME]["COMBINED_SEQ"]
            for cls, fig in _summarise(combined, classes, three_d).items():
                figures[cls].update(fig)
    return figures
