"""`taishan train association|bev`: train the learned association (KITTI tracking ground truth, with
cross-validation over sequences) or the lidar + radar BEV detector (simulated scenes).

A run folder holds model.safetensors (with its config inside), metrics.csv, learning_curves.png,
config.yaml and the last epoch's weights and optimizer state for --resume. Training is
deterministic for a seed and uses CUDA when available (--device auto).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from fusion.core.errors import InputError


def _common(parser: argparse.ArgumentParser, config_name: str) -> None:
    from fusion.config.loader import config_dir

    parser.add_argument("--out", required=True, type=Path, help="run folder, e.g. runs/NAME")
    parser.add_argument("--config", type=Path, default=config_dir() / config_name, help="model, data and training config")
    parser.add_argument("--epochs", type=int, help="override training.epochs")
    parser.add_argument("--seed", type=int, help="override training.seed")
    parser.add_argument("--device", default="auto", help="auto (CUDA when available, else CPU), cpu, cuda, cuda:N")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its last epoch")


def register(groups) -> None:
    parser = groups.add_to_group("train", "association", "train the learned association cost on KITTI tracking labels",
                                 description=__doc__)
    parser.add_argument("--data", required=True, type=Path, help="KITTI tracking folder (seqmap.txt, label_02, calib, det_pointrcnn)")
    _common(parser, "learned_association.yaml")
    parser.set_defaults(func=train_association)

    parser = groups.add_to_group("train", "bev", "train the lidar + radar BEV detector on simulated scenes", description=__doc__)
    parser.add_argument("--data", type=Path, help="scenario config for the simulated scenes (default: data.scenario of --config)")
    _common(parser, "bev_detector.yaml")
    parser.set_defaults(func=train_bev)


def _training_override(config, args: argparse.Namespace):
    update = {k: v for k, v in (("epochs", args.epochs), ("seed", args.seed)) if v is not None}
    if any(v < (1 if k == "epochs" else 0) for k, v in update.items()):
        raise InputError("--epochs/--seed", f"epochs must be >= 1 and seed >= 0, got {update}")
    return config.model_copy(update={"training": config.training.model_copy(update=update)})


def _fit_or_resume(task, hyper, out: Path, device, resume: bool):
    from fusion.learned.training import LAST, fit

    return fit(task, hyper, out, device, resume=resume and (out / LAST).is_file())


def train_association(args: argparse.Namespace) -> int:
    from fusion.learned.association.config import load_association_config
    from fusion.learned.association.task import AssociationTask, collect_pairs, folds
    from fusion.learned.training import select_device

    config = _training_override(load_association_config(args.config), args)
    device = select_device(args.device)
    pairs, sequences = collect_pairs(config, args.data)
    hyper = config.training.hyper()
    split = folds(sequences, config.data.folds)
    summary = {"device": str(device), "pairs": int(len(pairs.labels)), "positives": int(pairs.labels.sum()), "folds": []}
    for k, held_out in enumerate(split):
        train = pairs.select([s for s in sequences if s not in held_out])
        result = _fit_or_resume(AssociationTask(config, train, pairs.select(held_out)), hyper, args.out / "folds" / str(k), device, args.resume)
        best = min(result.rows, key=lambda r: r["val_loss"])
        summary["folds"].append({"held_out": held_out, "checkpoint": str(result.best), "val_loss": best["val_loss"],
                                 "val_accuracy": best["val_accuracy"], "val_negative_accuracy": best["val_negative_accuracy"]})
        print(f"fold {k} (held out {', '.join(held_out)}): validation loss {best['val_loss']:.4f}, "
              f"accuracy {best['val_accuracy']:.4f}, negatives {best['val_negative_accuracy']:.4f}")
    # the model the tracker loads: every sequence (its 'validation' curve is the training data's)
    final = _fit_or_resume(AssociationTask(config, pairs, pairs), hyper, args.out, device, args.resume)
    summary["model"] = str(final.best)
    (args.out / "folds.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"model: {final.best}\ncross-validation folds: {args.out / 'folds.json'}")
    return 0


def train_bev(args: argparse.Namespace) -> int:
    from fusion.learned.bev.config import load_bev_config
    from fusion.learned.bev.task import BevTask
    from fusion.learned.training import select_device

    config = _training_override(load_bev_config(args.config), args)
    if args.data is not None:
        if not args.data.is_file():
            raise InputError(str(args.data), "scenario config not found")
        config = config.model_copy(update={"data": config.data.model_copy(update={"scenario": str(args.data)})})
    result = _fit_or_resume(BevTask(config), config.training.hyper(), args.out, select_device(args.device), args.resume)
    last = result.rows[-1]
    print(f"model: {result.best}\nvalidation mAP {last['val_mAP']:.3f} (" +
          ", ".join(f"{k[7:]} {v:.3f}" for k, v in last.items() if k.startswith("val_AP_")) + ")")
    return 0
