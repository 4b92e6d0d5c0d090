"""Config pieces both learned models share: training hyper-parameters and where a trained checkpoint is."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import Field

from fusion.config.loader import StrictModel

Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]

M = TypeVar("M", bound=StrictModel)


@dataclass(frozen=True)
class Hyper:
    """What the training loop needs of TrainingConfig."""

    epochs: int
    batch_size: int
    learning_rate: float
    weight_decay: float
    seed: int
    grad_clip_norm: float


class TrainingConfig(StrictModel):
    """Optimiser (AdamW, cosine learning-rate decay to 5 %), batch size, epochs and the seed that
    makes a run reproducible. `taishan train ... --epochs/--seed` override epochs and seed."""

    epochs: Annotated[int, Field(ge=1, le=10000)] = 20
    batch_size: Annotated[int, Field(ge=1)] = 16
    learning_rate: Positive = 2.0e-3
    weight_decay: NonNegative = 1.0e-4
    grad_clip_norm: Positive = 10.0
    seed: Annotated[int, Field(ge=0)] = 0

    def hyper(self) -> Hyper:
        return Hyper(self.epochs, self.batch_size, self.learning_rate, self.weight_decay, self.seed, self.grad_clip_norm)


def with_checkpoint_beside(config: M, config_file: str | Path) -> M:
    """`config` (a model config read from `config_file`) with its `checkpoint` path made absolute: a
    relative path is relative to the config file's folder, so it means the same from any working
    directory (a ROS node, `taishan replay`, an evaluation)."""
    path = Path(config.checkpoint).expanduser()
    if not path.is_absolute():
        path = Path(os.path.normpath(Path(config_file).resolve().parent / path))
    return config.model_copy(update={"checkpoint": str(path)})
