"""The learned association cost, as the tracker's AssociationCost protocol wants it.

    tracker = learned_tracker(tracker_config, vehicle, tree, load_association_config())

builds a MultiObjectTracker whose lidar association is the learned cost (checkpoint from the
config's path) with the candidate gate widened as configured; by hand that is

    cost = LearnedAssociationCost.from_checkpoint(config, gate)
    tracker = MultiObjectTracker(with_gate(tracker_config, p), vehicle, tree, costs={"lidar": cost})
    cost.bind(tracker)

(`tracker_with_cost`). The cost reads the track side of its features (age, hits, speed, uncertainty,
size) from the tracker it is bound to; Candidates carries the pair side. See CostConfig for the learned and blended forms.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import torch

from fusion.core.errors import InputError
from fusion.learned.association.config import ARCHITECTURE, KIND, AssociationConfig
from fusion.learned.association.features import RESIDUAL_DIM, pair_features, track_features
from fusion.learned.association.model import AssociationNet, build_association_model
from fusion.learned.checkpoint import load_checkpoint

if TYPE_CHECKING:
    from fusion.config.vehicle import VehicleConfig
    from fusion.core.transform_tree import TransformTree
    from fusion.tracking.association import Candidates
    from fusion.tracking.config import TrackerConfig
    from fusion.tracking.tracker import MultiObjectTracker


class BindableCost(Protocol):
    """An AssociationCost that reads the track side of its features from the tracker it is bound to."""

    unassigned_cost: float

    def bind(self, tracker: MultiObjectTracker) -> object: ...
    def __call__(self, pairs: Candidates) -> np.ndarray: ...


def negative_log_probability(logits: np.ndarray) -> np.ndarray:
    """-log sigmoid(logit), computed stably."""
    return np.logaddexp(0.0, -logits)


class LearnedAssociationCost:
    def __init__(self, model: AssociationNet, config: AssociationConfig, gate: float):
        """`gate`: the tracker's chi-square gate on the squared Mahalanobis distance (blend mode)."""
        self.model = model.eval()
        self.config = config
        c = config.cost
        learned = -np.log(c.min_probability)
        self.unassigned_cost = float(learned if c.mode == "learned" else c.learned_weight * learned + (1 - c.learned_weight) * gate / 2)
        self.tracker: MultiObjectTracker | None = None

    @classmethod
    def from_checkpoint(cls, config: AssociationConfig, gate: float, path: str | Path | None = None) -> LearnedAssociationCost:
        model, config = load_checkpoint(path or config.checkpoint, KIND, AssociationConfig, build_association_model, ARCHITECTURE, config)
        return cls(model, config, gate)

    def bind(self, tracker: MultiObjectTracker) -> LearnedAssociationCost:
        self.tracker = tracker
        return self

    def probabilities(self, pairs: Candidates) -> np.ndarray:
        """Match probability (K,) of each candidate pair."""
        return 1.0 / (1.0 + np.exp(-self._logits(pairs)))

    def _logits(self, pairs: Candidates) -> np.ndarray:
        if self.tracker is None:
            raise InputError("learned association", "the cost is not bound to a tracker (call bind(tracker) after creating it)")
        features = pair_features(pairs, track_features(self.tracker))
        with torch.no_grad():
            return self.model(torch.from_numpy(features)).double().numpy()

    def __call__(self, pairs: Candidates) -> np.ndarray:
        nll = negative_log_probability(self._logits(pairs))
        if self.config.cost.mode == "learned":
            return nll
        w = self.config.cost.learned_weight
        return w * nll + (1 - w) * pairs.mahalanobis2 / 2


def with_gate(tracker_config: TrackerConfig, gate_probability: float) -> TrackerConfig:
    """The tracker config with its chi-square gate probability replaced."""
    association = tracker_config.association.model_copy(update={"gate_probability": gate_probability})
    return tracker_config.model_copy(update={"association": association})


def tracker_with_cost(tracker_config: TrackerConfig, vehicle: VehicleConfig, tree: TransformTree, cost: BindableCost,
                      gate_probability: float) -> MultiObjectTracker:
    """A tracker whose lidar boxes are associated by `cost` (bound to it), candidates gated at
    `gate_probability`."""
    from fusion.tracking.tracker import MultiObjectTracker

    tracker = MultiObjectTracker(with_gate(tracker_config, gate_probability), vehicle, tree, costs={"lidar": cost})
    cost.bind(tracker)
    return tracker


def learned_tracker(tracker_config: TrackerConfig, vehicle: VehicleConfig, tree: TransformTree, config: AssociationConfig,
                    checkpoint: str | Path | None = None) -> MultiObjectTracker:
    """A tracker whose lidar boxes are associated by the learned cost (see the module docstring)."""
    from fusion.tracking.association import chi_square_gate

    cost = LearnedAssociationCost.from_checkpoint(config, chi_square_gate(tracker_config.association.gate_probability, RESIDUAL_DIM), checkpoint)
    return tracker_with_cost(tracker_config, vehicle, tree, cost, config.cost.gate_probability)
