"""The BEV detector as a training task: simulated samples, targets, loss and validation AP."""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from torch.utils.data import default_collate

from fusion.learned.bev.config import KIND, BevDetectorConfig
from fusion.learned.bev.decode import decode
from fusion.learned.bev.evaluation import accumulator, detected_boxes, truth_boxes
from fusion.learned.bev.loss import detection_loss
from fusion.learned.bev.model import build_bev_model
from fusion.learned.bev.raster import CHANNELS
from fusion.learned.bev.sim_data import SimFrame, simulate_frames
from fusion.learned.bev.targets import GroundTruth, make_targets

_DOPPLER_Y = CHANNELS.index("radar_doppler_y")


def mirrored(raster: np.ndarray, truth: GroundTruth) -> tuple[np.ndarray, GroundTruth]:
    """The scene mirrored about base_link's x axis (y -> -y); the grid is symmetric in y."""
    raster = raster[:, :, ::-1].copy()
    raster[_DOPPLER_Y] *= -1
    flip = np.array([1.0, -1.0, 1.0])
    return raster, GroundTruth(truth.centers * flip, truth.sizes, -truth.yaws, truth.classes, truth.velocities * flip, truth.points)


class BevSamples(Dataset):
    """Raster and targets per sample; training samples are mirrored with probability 1/2 (drawn
    from torch's generator, so seeded runs repeat)."""

    def __init__(self, config: BevDetectorConfig, frames: list[SimFrame], augment: bool):
        self.config, self.frames, self.augment = config, frames, augment

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        frame = self.frames[index]
        raster, truth = frame.raster.astype(np.float32), frame.truth
        if self.augment and torch.rand(()) < 0.5:
            raster, truth = mirrored(raster, truth)
        t = make_targets(self.config, truth)
        return (torch.from_numpy(raster), torch.from_numpy(t.heatmap), torch.from_numpy(t.heatmap_weight),
                torch.from_numpy(t.regression), torch.from_numpy(t.mask), torch.tensor(index))


class BevTask:
    kind = KIND
    selection_metric = "mAP"
    selection_maximise = True

    def __init__(self, config: BevDetectorConfig, train: list[SimFrame] | None = None, validation: list[SimFrame] | None = None):
        self.config = config
        self._train, self._validation = train, validation

    def build_model(self) -> torch.nn.Module:
        return build_bev_model(self.config)

    def datasets(self) -> tuple[Dataset, Dataset]:
        if self._train is None:
            self._train = simulate_frames(self.config, self.config.data.train_seeds)
        if self._validation is None:
            self._validation = simulate_frames(self.config, self.config.data.validation_seeds)
        return BevSamples(self.config, self._train, True), BevSamples(self.config, self._validation, False)

    @staticmethod
    def collate(items: list[tuple[torch.Tensor, ...]]) -> tuple[torch.Tensor, ...]:
        return default_collate(items)

    def loss(self, model: torch.nn.Module, batch: tuple[torch.Tensor, ...], device: torch.device) -> tuple[torch.Tensor, dict[str, float]]:
        raster, heatmap, weight, regression, mask, _ = (b.to(device) for b in batch)
        return detection_loss(model(raster), heatmap, weight, regression, mask, self.config.loss)

    def validate(self, model: torch.nn.Module, loader: DataLoader, device: torch.device) -> dict[str, float]:
        """Mean loss and its parts per batch, mAP and per-class AP on the validation scenes."""
        sums: dict[str, float] = {}
        batches = 0
        ap = accumulator(self.config)
        frames = loader.dataset.frames
        for batch in loader:
            raster, heatmap, weight, regression, mask, index = (b.to(device) for b in batch)
            output = model(raster)
            total, parts = detection_loss(output, heatmap, weight, regression, mask, self.config.loss)
            for name, value in {"loss": float(total), **parts}.items():
                sums[name] = sums.get(name, 0.0) + value
            batches += 1
            for boxes, i in zip(decode(output, self.config), index.tolist()):
                ap.add(detected_boxes(self.config, boxes.centers, boxes.sizes, boxes.yaws, boxes.classes, boxes.scores),
                       truth_boxes(self.config, frames[i].truth))
        scores = ap.result()
        metrics = {name: value / max(batches, 1) for name, value in sums.items()}
        metrics["mAP"] = scores["mAP"]["AP"]
        metrics.update({f"AP_{c.name.lower()}": scores[c.name.lower()]["AP"] for c in self.config.model.class_values()})
        return metrics
