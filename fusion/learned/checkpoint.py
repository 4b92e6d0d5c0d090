"""Checkpoints as safetensors files that carry the config they were trained with.

A model file holds the weights plus three metadata strings: the model kind (`association`,
`bev_detector`), the format version and the full config as JSON. Optimizer state for resuming lives
in a second safetensors file (`*.state.safetensors`) with its scalars as JSON metadata. Nothing is
ever unpickled: safetensors stores raw tensors only, so a checkpoint from anywhere is safe to open.

Loading checks, in order: the file exists and is a safetensors file, it is the expected kind, its
architecture config matches the one asked for (each differing key is named with both values), and
every tensor name and shape matches the model built from that config.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, TypeVar

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from fusion.config.loader import StrictModel, parse_config
from fusion.core.errors import InputError

FORMAT_VERSION = "1"
_KIND, _FORMAT, _CONFIG = "taishan.kind", "taishan.format", "taishan.config"

C = TypeVar("C", bound=StrictModel)


def _atomic_save(tensors: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp), metadata=metadata)
    os.replace(tmp, path)


def save_checkpoint(path: str | Path, model: torch.nn.Module, kind: str, config: StrictModel) -> Path:
    """Write the model's weights and `config` (written atomically: never a half-written file)."""
    path = Path(path)
    _atomic_save(model.state_dict(), path, {_KIND: kind, _FORMAT: FORMAT_VERSION, _CONFIG: config.model_dump_json()})
    return path


def _open_metadata(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise InputError(str(path), "checkpoint file not found")
    try:
        with safe_open(str(path), framework="pt") as f:
            return dict(f.metadata() or {})
    except (SafetensorError, OSError, ValueError) as exc:
        raise InputError(str(path), f"not a safetensors checkpoint ({exc})") from None


def _read_tensors(path: Path) -> dict[str, torch.Tensor]:
    with safe_open(str(path), framework="pt") as f:
        return {name: f.get_tensor(name) for name in f.keys()}


def config_differences(stored: Any, wanted: Any, prefix: str = "") -> list[str]:
    """Key paths where two config dicts differ, each with both values."""
    if isinstance(stored, dict) and isinstance(wanted, dict):
        out: list[str] = []
        for key in sorted(set(stored) | set(wanted), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in stored:
                out.append(f"{path}: not in the checkpoint, config has {wanted[key]!r}")
            elif key not in wanted:
                out.append(f"{path}: checkpoint has {stored[key]!r}, not in the config")
            else:
                out.extend(config_differences(stored[key], wanted[key], path))
        return out
    return [] if stored == wanted else [f"{prefix}: checkpoint has {stored!r}, config has {wanted!r}"]


def checkpoint_kind(path: str | Path) -> str:
    """The model kind a checkpoint holds ('association', 'bev_detector')."""
    path = Path(path)
    kind = _open_metadata(path).get(_KIND)
    if kind is None:
        raise InputError(str(path), "not a Taishan checkpoint (no model kind in its metadata)")
    return kind


def read_checkpoint_config(path: str | Path, kind: str, schema: type[C]) -> C:
    """The config stored in a checkpoint of `kind`, validated against `schema`."""
    path = Path(path)
    metadata = _open_metadata(path)
    if metadata.get(_KIND) != kind:
        raise InputError(str(path), f"checkpoint holds a {metadata.get(_KIND, 'non-Taishan')!r} model, expected {kind!r}")
    if metadata.get(_FORMAT) != FORMAT_VERSION:
        raise InputError(str(path), f"checkpoint format {metadata.get(_FORMAT)!r}, this version reads {FORMAT_VERSION!r}")
    try:
        data = json.loads(metadata[_CONFIG])
    except (KeyError, json.JSONDecodeError) as exc:
        raise InputError(str(path), f"checkpoint config is missing or not JSON ({exc})") from None
    return parse_config(data, schema, f"{path} (stored config)")


def load_weights(path: str | Path, model: torch.nn.Module) -> None:
    """Copy the checkpoint's tensors into `model`; any missing, unexpected or differently shaped tensor
    is an InputError listing them all."""
    path = Path(path)
    _open_metadata(path)
    tensors = _read_tensors(path)
    expected = model.state_dict()
    problems = [f"missing tensor {name!r} {tuple(t.shape)}" for name, t in expected.items() if name not in tensors]
    problems += [f"unexpected tensor {name!r} {tuple(t.shape)}" for name, t in tensors.items() if name not in expected]
    problems += [f"tensor {name!r}: checkpoint shape {tuple(tensors[name].shape)}, model shape {tuple(t.shape)}"
                 for name, t in expected.items() if name in tensors and tensors[name].shape != t.shape]
    if problems:
        raise InputError(str(path), "checkpoint does not match the model: " + "; ".join(problems))
    model.load_state_dict(tensors)


def load_checkpoint(path: str | Path, kind: str, schema: type[C], build: Callable[[C], torch.nn.Module],
                    architecture: tuple[str, ...], expected: C | None = None) -> tuple[torch.nn.Module, C]:
    """Build the model from the checkpoint's config and load its weights (eval mode, CPU).

    With `expected`, the config sections named in `architecture` must equal the checkpoint's; the
    returned config is then `expected` (its other sections, e.g. decoding thresholds, apply)."""
    stored = read_checkpoint_config(path, kind, schema)
    if expected is not None:
        stored_arch = {k: stored.model_dump()[k] for k in architecture}
        wanted_arch = {k: expected.model_dump()[k] for k in architecture}
        differences = config_differences(stored_arch, wanted_arch)
        if differences:
            raise InputError(str(path), "checkpoint was trained with another model config: " + "; ".join(differences))
    config = expected if expected is not None else stored
    model = build(config)
    load_weights(path, model)
    model.eval()
    return model, config


def state_path(model_path: str | Path) -> Path:
    """Where the optimizer state of a model checkpoint lives."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.name.replace(".safetensors", "") + ".state.safetensors")


def save_training_state(path: str | Path, optimizer: torch.optim.Optimizer, progress: dict[str, Any]) -> Path:
    """Optimizer tensors as `state.<param>.<name>`; its scalars, param groups and `progress` as JSON."""
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, values in state["state"].items():
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{index}.{name}"] = value
            else:
                scalars.setdefault(str(index), {})[name] = value
    metadata = {_KIND: "training_state", _FORMAT: FORMAT_VERSION,
                "param_groups": json.dumps(state["param_groups"]), "scalars": json.dumps(scalars),
                "progress": json.dumps(progress)}
    path = Path(path)
    _atomic_save(tensors, path, metadata)
    return path


def load_training_state(path: str | Path, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Restore the optimizer from save_training_state's file; returns the saved progress dict."""
    path = Path(path)
    metadata = _open_metadata(path)
    if metadata.get(_KIND) != "training_state":
        raise InputError(str(path), "not a Taishan training-state file")
    state: dict[int, dict[str, Any]] = {}
    for name, tensor in _read_tensors(path).items():
        _, index, key = name.split(".", 2)
        state.setdefault(int(index), {})[key] = tensor
    for index, values in json.loads(metadata["scalars"]).items():
        state.setdefault(int(index), {}).update(values)
    groups = json.loads(metadata["param_groups"])
    sizes_now = [len(g["params"]) for g in optimizer.state_dict()["param_groups"]]
    if sizes_now != [len(g["params"]) for g in groups]:
        raise InputError(str(path), f"optimizer state is for parameter groups of sizes {[len(g['params']) for g in groups]}, "
                                    f"the model has {sizes_now}")
    optimizer.load_state_dict({"state": state, "param_groups": groups})
    return json.loads(metadata["progress"])
