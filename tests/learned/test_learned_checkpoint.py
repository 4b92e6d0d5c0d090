"""Checkpoints: round trip, and clear errors for a missing file, a pickle, the wrong kind, another
config and other tensor shapes; training: resume continues exactly as an uninterrupted run."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from fusion.core.errors import InputError
from fusion.learned.association.config import ARCHITECTURE, KIND, AssociationConfig
from fusion.learned.association.features import FEATURE_NAMES
from fusion.learned.association.model import build_association_model
from fusion.learned.association.task import AssociationTask, PairData
from fusion.learned.checkpoint import load_checkpoint, load_weights, save_checkpoint
from fusion.learned.training import BEST, CURVES, LAST, METRICS, fit


def tiny_config(**training) -> AssociationConfig:
    return AssociationConfig.model_validate({"model": {"hidden": [8]},
                                             "training": {"epochs": 2, "batch_size": 32, "seed": 3, **training}})


def pair_data(n: int = 200, seed: int = 0) -> PairData:
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n, len(FEATURE_NAMES))).astype(np.float32)
    labels = (features[:, 0] + 0.3 * rng.normal(size=n) > -0.5).astype(np.float32)
    return PairData(features, labels, np.array(["0000"] * n, dtype=object))


def test_round_trip_and_mismatch_errors(tmp_path):
    config = tiny_config()
    model = build_association_model(config)
    path = save_checkpoint(tmp_path / "m.safetensors", model, KIND, config)
    loaded, loaded_config = load_checkpoint(path, KIND, AssociationConfig, build_association_model, ARCHITECTURE, config)
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor)
    assert loaded_config == config

    wider = AssociationConfig.model_validate({"model": {"hidden": [16]}})
    with pytest.raises(InputError, match=r"model\.hidden: checkpoint has \[8\], config has \[16\]"):
        load_checkpoint(path, KIND, AssociationConfig, build_association_model, ARCHITECTURE, wider)
    with pytest.raises(InputError, match=r"tensor 'mlp.0.weight': checkpoint shape \(8, \d+\), model shape \(16, \d+\)"):
        load_weights(path, build_association_model(wider))
    with pytest.raises(InputError, match="holds a 'association' model, expected 'bev_detector'"):
        load_checkpoint(path, "bev_detector", AssociationConfig, build_association_model, ARCHITECTURE)


def test_missing_and_pickled_files_are_refused(tmp_path):
    with pytest.raises(InputError, match="checkpoint file not found"):
        load_weights(tmp_path / "absent.safetensors", build_association_model(tiny_config()))
    pickled = tmp_path / "model.pt"
    torch.save(build_association_model(tiny_config()).state_dict(), pickled)
    with pytest.raises(InputError, match="not a safetensors checkpoint"):
        load_weights(pickled, build_association_model(tiny_config()))


def test_resume_continues_exactly(tmp_path):
    config = tiny_config()
    task = AssociationTask(config, pair_data(), pair_data(seed=1))
    straight = fit(task, config.training.hyper(), tmp_path / "straight", torch.device("cpu"), log=lambda s: None)
    first = tiny_config(epochs=1)
    fit(AssociationTask(first, pair_data(), pair_data(seed=1)), first.training.hyper(), tmp_path / "resumed", torch.device("cpu"),
        log=lambda s: None)
    with pytest.raises(InputError, match="pass --resume"):
        fit(task, config.training.hyper(), tmp_path / "resumed", torch.device("cpu"), log=lambda s: None)
    resumed = fit(task, config.training.hyper(), tmp_path / "resumed", torch.device("cpu"), resume=True, log=lambda s: None)
    a, b = build_association_model(config), build_association_model(config)
    load_weights(straight.last, a)
    load_weights(resumed.last, b)
    for name, tensor in a.state_dict().items():
        assert torch.equal(b.state_dict()[name], tensor), name
    assert [r["epoch"] for r in resumed.rows] == [0.0, 1.0]
    for name in (BEST, LAST, METRICS, CURVES, "config.yaml"):
        assert (tmp_path / "resumed" / name).is_file()
