"""configs/learned_association.yaml: the learned association model, how its cost enters the
tracker, the KITTI training data, cross-validation and training.

`model` defines the network (its feature list must be the one this version computes); a checkpoint
only loads with the same `model` section (checked, each differing key named).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from fusion.config.loader import StrictModel, config_dir, load_config
from fusion.learned.association.features import FEATURE_NAMES
from fusion.learned.config import Probability, TrainingConfig, with_checkpoint_beside

KIND = "association"
ARCHITECTURE = ("model",)
OpenProbability = Annotated[float, Field(gt=0.0, lt=1.0)]


class ModelConfig(StrictModel):
    """A pairwise MLP: standardised pair features -> hidden layers (ReLU) -> match logit."""

    features: list[str] = list(FEATURE_NAMES)
    hidden: Annotated[list[Annotated[int, Field(ge=1, le=1024)]], Field(min_length=1, max_length=4)] = [64, 64]

    def semantic_problems(self) -> list[tuple[str, str]]:
        if tuple(self.features) != FEATURE_NAMES:
            return [("features", f"this version computes the features {list(FEATURE_NAMES)}")]
        return []


class CostConfig(StrictModel):
    """The tracker cost of a gated pair with match probability p and squared Mahalanobis distance d2:
    `learned`: -log p; `blend`: w (-log p) + (1 - w) d2 / 2 (both negative log-likelihoods).
    A pair stays unassigned unless its cost is below that of p = min_probability (and, blended, of
    d2 at the tracker's own chi-square gate). With the learned cost the tracker gates candidates at
    the wider `gate_probability`, so the network also decides pairs the Kalman gate would drop."""

    mode: Literal["learned", "blend"] = "blend"
    gate_probability: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0   # 1.0: every pair within the coarse pre-gate
    learned_weight: Probability = 0.5
    min_probability: OpenProbability = 0.5


class DataConfig(StrictModel):
    """KITTI tracking training data: the tracker (Kalman-only association, configs/kitti.yaml or
    `kitti_config`) runs over each sequence; every gated (track, detection) pair it scores is a
    sample (candidates gated at cost.gate_probability, assignments at the Kalman gate), labelled by ground truth: PointRCNN boxes take the track id of the label box they overlap
    (3D IoU >= match_iou), and a pair is positive when the detection belongs to the object the track
    follows. Sequences are split into `folds` folds for cross-validation."""

    classes: list[Literal["Car", "Pedestrian", "Cyclist"]] = ["Car", "Pedestrian", "Cyclist"]
    kitti_config: str = ""
    match_iou: Annotated[float, Field(gt=0.0, le=1.0)] = 0.25
    folds: Annotated[int, Field(ge=2, le=50)] = 5


class AssociationConfig(StrictModel):
    model: ModelConfig = ModelConfig()
    cost: CostConfig = CostConfig()
    data: DataConfig = DataConfig()
    training: TrainingConfig = TrainingConfig(epochs=25, batch_size=256, learning_rate=3.0e-3)
    checkpoint: str = "runs/association/model.safetensors"   # loaded by the tracker stage; relative to this file's folder

    def semantic_problems(self) -> list[tuple[str, str]]:
        return [(f"model.{key}", problem) for key, problem in self.model.semantic_problems()]


def default_association_path() -> Path:
    return config_dir() / "learned_association.yaml"


def load_association_config(path: str | Path | None = None) -> AssociationConfig:
    path = path or default_association_path()
    return with_checkpoint_beside(load_config(path, AssociationConfig), path)
