"""The training loop both models share: deterministic for a seed, tqdm progress, per-epoch CSV
metrics and learning-curve PNG, safetensors checkpoints with their config, and resume.

Determinism: the weights are initialised after `torch.manual_seed(seed)`, and epoch e shuffles with
a generator seeded from (seed, e) and reseeds torch with it, so a run resumed after epoch e continues
exactly as the uninterrupted run would (the learning rate is a pure function of the epoch, cosine
decay, so there is no scheduler state to carry).

A run folder holds: `model.safetensors` (best validation epoch), `last.safetensors` and
`last.state.safetensors` (for --resume), `metrics.csv`, `learning_curves.png` and `config.yaml`.
"""
from __future__ import annotations

import csv
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

import torch
import yaml
from torch.utils.data import DataLoader, Dataset

from fusion.config.loader import StrictModel
from fusion.core.errors import InputError
from fusion.learned.checkpoint import load_training_state, load_weights, save_checkpoint, save_training_state, state_path
from fusion.learned.config import Hyper

BEST, LAST, METRICS, CURVES, CONFIG = "model.safetensors", "last.safetensors", "metrics.csv", "learning_curves.png", "config.yaml"


class TrainingTask(Protocol):
    """What a model brings to the loop."""

    kind: str                      # checkpoint kind
    config: StrictModel            # stored with every checkpoint
    selection_metric: str          # validation metric that picks model.safetensors
    selection_maximise: bool       # whether higher values of it are better

    def build_model(self) -> torch.nn.Module: ...
    def datasets(self) -> tuple[Dataset, Dataset]: ...
    def collate(self, items: list[Any]) -> Any: ...
    def loss(self, model: torch.nn.Module, batch: Any, device: torch.device) -> tuple[torch.Tensor, dict[str, float]]: ...
    def validate(self, model: torch.nn.Module, loader: DataLoader, device: torch.device) -> dict[str, float]: ...


def select_device(name: str) -> torch.device:
    """'auto' picks CUDA when available, else the CPU; asking for CUDA without it is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise InputError("--device", str(exc)) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError("--device", f"{name!r} requested but CUDA is not available (torch {torch.__version__})")
    return device


def make_deterministic(seed: int) -> None:
    """Seed torch and ask for deterministic kernels (cuBLAS needs its workspace setting for that)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False


def epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch * 7919) % (2**63 - 1)


def learning_rate(hyper: Hyper, epoch: int) -> float:
    """Cosine decay from the base rate to 5 % of it over the run."""
    progress = epoch / max(hyper.epochs - 1, 1)
    return hyper.learning_rate * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * progress)))


def plot_learning_curves(rows: list[dict[str, float]], path: Path, title: str) -> Path:
    """Loss (train and validation) and every other validation metric against the epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in rows]
    others = [k for k in rows[0] if k.startswith("val_") and k != "val_loss"]
    fig, axes = plt.subplots(1, 1 + bool(others), figsize=(11 if others else 6, 4), squeeze=False)
    ax = axes[0, 0]
    ax.plot(epochs, [r["train_loss"] for r in rows], marker="o", label="train")
    ax.plot(epochs, [r["val_loss"] for r in rows], marker="o", label="validation")
    ax.set(xlabel="epoch", ylabel="loss", title=f"{title}: loss")
    ax.legend()
    if others:
        ax = axes[0, 1]
        for key in others:
            ax.plot(epochs, [r[key] for r in rows], marker="o", label=key[4:])
        ax.set(xlabel="epoch", title="validation metrics")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _read_metrics(path: Path, up_to_epoch: int) -> list[dict[str, float]]:
    if not path.is_file():
        return []
    with path.open() as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f) if int(float(row["epoch"])) <= up_to_epoch]


def _write_metrics(path: Path, rows: list[dict[str, float]]) -> None:
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


@dataclass
class FitResult:
    best: Path
    last: Path
    rows: list[dict[str, float]]


def fit(task: TrainingTask, hyper: Hyper, out: Path, device: torch.device, resume: bool = False,
        log: Callable[[str], None] = lambda s: print(s, file=sys.stderr)) -> FitResult:
    """Train `task` for hyper.epochs epochs into the run folder `out` (see the module docstring)."""
    from tqdm import tqdm

    out = Path(out)
    last = out / LAST
    if resume and not last.is_file():
        raise InputError(str(out), f"--resume given but there is no {LAST} to resume from")
    if not resume and last.is_file():
        raise InputError(str(out), "holds a training run already: pass --resume to continue it or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    (out / CONFIG).write_text(yaml.safe_dump({"/**": {"ros__parameters": task.config.model_dump()}}, sort_keys=False))

    make_deterministic(hyper.seed)
    model = task.build_model().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=hyper.learning_rate, weight_decay=hyper.weight_decay)
    sign = -1.0 if task.selection_maximise else 1.0    # best is kept as a value to minimise
    start, best = 0, math.inf
    if resume:
        load_weights(last, model)
        progress = load_training_state(state_path(last), optimizer)
        start, best = int(progress["epoch"]) + 1, float(progress["best"])
        log(f"resuming {out} after epoch {start - 1} (best {task.selection_metric} {sign * best:.4g})")
    rows = _read_metrics(out / METRICS, start - 1)
    train_set, val_set = task.datasets()
    if len(train_set) == 0 or len(val_set) == 0:
        raise InputError(str(out), f"empty dataset (train {len(train_set)}, validation {len(val_set)} samples)")
    val_loader = DataLoader(val_set, batch_size=hyper.batch_size, shuffle=False, collate_fn=task.collate)

    for epoch in tqdm(range(start, hyper.epochs), desc=f"train {task.kind}", unit="epoch", file=sys.stderr,
                      initial=start, total=hyper.epochs):
        seed = epoch_seed(hyper.seed, epoch)
        torch.manual_seed(seed)
        loader = DataLoader(train_set, batch_size=hyper.batch_size, shuffle=True, collate_fn=task.collate,
                            generator=torch.Generator().manual_seed(seed))
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(hyper, epoch)
        model.train()
        began, total, count = time.perf_counter(), 0.0, 0
        for batch in tqdm(loader, desc=f"epoch {epoch}", unit="batch", leave=False, file=sys.stderr):
            loss, _ = task.loss(model, batch, device)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), hyper.grad_clip_norm)
            optimizer.step()
            total += float(loss.detach())
            count += 1
        model.eval()
        with torch.no_grad():
            metrics = task.validate(model, val_loader, device)
        row = {"epoch": float(epoch), "train_loss": total / max(count, 1), "lr": optimizer.param_groups[0]["lr"],
               "seconds": time.perf_counter() - began, **{f"val_{k}": v for k, v in metrics.items()}}
        rows.append(row)
        score = sign * metrics[task.selection_metric]
        if score < best:
            best = score
            save_checkpoint(out / BEST, model, task.kind, task.config)
        save_checkpoint(last, model, task.kind, task.config)
        save_training_state(state_path(last), optimizer, {"epoch": epoch, "best": best})
        _write_metrics(out / METRICS, rows)
        plot_learning_curves(rows, out / CURVES, task.kind)
        log(f"epoch {epoch}: train loss {row['train_loss']:.4f}, " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    if not (out / BEST).is_file():
        raise InputError(str(out), "training finished without a checkpoint (no epoch ran)")
    return FitResult(out / BEST, last, rows)
