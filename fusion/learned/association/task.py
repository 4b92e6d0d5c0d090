"""The learned association as a training task, and its KITTI pair data with cross-validation folds."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from datasets.kitti.config import KittiConfig, load_kitti_config
from datasets.kitti.layout import KittiLayout
from datasets.kitti.sequence import load_sequence
from fusion.config.loader import config_dir
from fusion.learned.association.config import KIND, AssociationConfig
from fusion.learned.association.kitti import record_pairs
from fusion.learned.association.model import build_association_model


@dataclass
class PairData:
    """Labelled pairs of every sequence: features (K, F), labels (K,), sequence name of each pair."""

    features: np.ndarray
    labels: np.ndarray
    sequences: np.ndarray

    def select(self, names: list[str]) -> PairData:
        keep = np.isin(self.sequences, names)
        return PairData(self.features[keep], self.labels[keep], self.sequences[keep])

    def tensors(self) -> TensorDataset:
        return TensorDataset(torch.from_numpy(self.features), torch.from_numpy(self.labels))


def kitti_config_path(config: AssociationConfig) -> Path:
    """The KITTI pipeline config the pairs are recorded with (data.kitti_config; empty: configs/kitti.yaml)."""
    return Path(config.data.kitti_config) if config.data.kitti_config else config_dir() / "kitti.yaml"


def kitti_config(config: AssociationConfig) -> KittiConfig:
    return load_kitti_config(kitti_config_path(config))


def collect_pairs(config: AssociationConfig, data: Path, progress: bool = True) -> tuple[PairData, list[str]]:
    """Run the Kalman-only tracker over every sequence of the folder's seqmap and class; returns the
    labelled pairs and the sequence names in seqmap order."""
    from tqdm import tqdm

    layout = KittiLayout(Path(data))
    kitti = kitti_config(config)
    entries = layout.sequences()
    parts = []
    for entry in tqdm(entries, desc="KITTI pairs", unit="seq", file=sys.stderr, disable=not progress):
        sequence = load_sequence(layout, entry, config.data.classes, False)
        for cls in config.data.classes:
            f, y = record_pairs(layout, sequence, cls, kitti, config.data.match_iou, config.cost.gate_probability)
            parts.append((f, y, np.full(len(y), entry.name, dtype=object)))
    features, labels, names = (np.concatenate(p) for p in zip(*parts))
    return PairData(features.astype(np.float32), labels.astype(np.float32), names), [e.name for e in entries]


def folds(sequences: list[str], n: int) -> list[list[str]]:
    """Sequences dealt round-robin into n folds (seqmap order), so each fold mixes short and long ones."""
    return [sequences[k::n] for k in range(min(n, len(sequences)))]


class AssociationTask:
    kind = KIND
    selection_metric = "loss"
    selection_maximise = False

    def __init__(self, config: AssociationConfig, train: PairData, validation: PairData):
        self.config, self.train, self.validation = config, train, validation

    def build_model(self) -> torch.nn.Module:
        model = build_association_model(self.config)
        model.set_standardisation(torch.from_numpy(self.train.features))
        return model

    def datasets(self) -> tuple[Dataset, Dataset]:
        return self.train.tensors(), self.validation.tensors()

    @staticmethod
    def collate(items: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.stack([f for f, _ in items]), torch.stack([y for _, y in items])

    def loss(self, model: torch.nn.Module, batch: tuple[torch.Tensor, torch.Tensor], device: torch.device) -> tuple[torch.Tensor, dict[str, float]]:
        features, labels = (b.to(device) for b in batch)
        # unweighted: the probabilities stay calibrated, as the cost's -log p needs
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(features), labels)
        return loss, {}

    def validate(self, model: torch.nn.Module, loader: DataLoader, device: torch.device) -> dict[str, float]:
        """Loss, accuracy at p = 0.5, and the accuracy on the negatives (pairs that must not match)."""
        total, count, correct, negatives, negatives_right = 0.0, 0, 0, 0, 0
        for features, labels in loader:
            features, labels = features.to(device), labels.to(device)
            logits = model(features)
            total += float(torch.nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="sum"))
            predicted = (logits > 0).float()
            correct += int((predicted == labels).sum())
            negatives += int((labels == 0).sum())
            negatives_right += int(((predicted == 0) & (labels == 0)).sum())
            count += len(labels)
        return {"loss": total / max(count, 1), "accuracy": correct / max(count, 1),
                "negative_accuracy": negatives_right / max(negatives, 1)}
