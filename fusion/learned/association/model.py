"""The pairwise association network: standardised features -> MLP -> match logit.

The feature mean and standard deviation of the training data are buffers of the model, so they
travel in the checkpoint and the ONNX graph with the weights.
"""
from __future__ import annotations

import torch
from torch import nn

from fusion.core.errors import InputError
from fusion.learned.association.config import AssociationConfig


class AssociationNet(nn.Module):
    def __init__(self, config: AssociationConfig):
        super().__init__()
        n = len(config.model.features)
        self.register_buffer("feature_mean", torch.zeros(n))
        self.register_buffer("feature_std", torch.ones(n))
        layers: list[nn.Module] = []
        width = n
        for hidden in config.model.hidden:
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        layers.append(nn.Linear(width, 1))
        self.mlp = nn.Sequential(*layers)

    def set_standardisation(self, features: torch.Tensor) -> None:
        """Mean and standard deviation (floored) of training features (K, F)."""
        self.feature_mean.copy_(features.mean(dim=0))
        self.feature_std.copy_(features.std(dim=0).clamp(min=1e-3))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Match logits (K,) of pair features (K, F)."""
        return self.mlp((features - self.feature_mean) / self.feature_std).squeeze(-1)

    def check_input(self, features: torch.Tensor) -> None:
        if features.ndim != 2 or features.shape[1] != self.feature_mean.shape[0]:
            raise InputError("association model input", f"expected pair features of shape (pairs, {self.feature_mean.shape[0]}), "
                                                         f"got {tuple(features.shape)}")


def build_association_model(config: AssociationConfig) -> AssociationNet:
    return AssociationNet(config)
