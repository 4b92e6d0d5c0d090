"""`taishan export onnx`: a trained checkpoint (learned association or BEV detector) as an ONNX
model, checked against torch with onnxruntime on seeded random inputs."""
from __future__ import annotations

import argparse
from pathlib import Path

from fusion.core.errors import InputError


def register(groups) -> None:
    parser = groups.add_to_group("export", "onnx", "export a learned model checkpoint to ONNX (checked with onnxruntime)",
                                 description=__doc__)
    parser.add_argument("--checkpoint", required=True, type=Path, help="model.safetensors of a training run")
    parser.add_argument("--out", required=True, type=Path, help="ONNX file to write")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="largest allowed |torch - onnxruntime| difference")
    parser.set_defaults(func=run)


def example_inputs(kind: str, model):
    """Seeded inputs shaped as the model expects (a batch of 2 rasters, or 64 pairs)."""
    import torch

    generator = torch.Generator().manual_seed(0)
    if kind == "bev_detector":
        return torch.rand((2, model.in_channels, *model.grid), generator=generator)
    n = model.feature_mean.shape[0]
    return model.feature_mean + model.feature_std * torch.randn((64, n), generator=generator)


def load_any(path: Path):
    """(kind, model) of a checkpoint of either learned model."""
    from fusion.learned.association.config import ARCHITECTURE as A_ARCH, KIND as A_KIND, AssociationConfig
    from fusion.learned.association.model import build_association_model
    from fusion.learned.bev.config import ARCHITECTURE as B_ARCH, KIND as B_KIND, BevDetectorConfig
    from fusion.learned.bev.model import build_bev_model
    from fusion.learned.checkpoint import checkpoint_kind, load_checkpoint

    kinds = {A_KIND: (AssociationConfig, build_association_model, A_ARCH), B_KIND: (BevDetectorConfig, build_bev_model, B_ARCH)}
    kind = checkpoint_kind(path)
    if kind not in kinds:
        raise InputError(str(path), f"cannot export a {kind!r} checkpoint (known: {', '.join(kinds)})")
    schema, build, architecture = kinds[kind]
    return kind, load_checkpoint(path, kind, schema, build, architecture)[0]


def run(args: argparse.Namespace) -> int:
    from fusion.learned.onnx_export import check, export

    kind, model = load_any(args.checkpoint)
    inputs = example_inputs(kind, model)
    names = ("raster", "output") if kind == "bev_detector" else ("pair_features", "match_logit")
    path = export(model, inputs[:1], args.out, *names)
    result = check(model, path, inputs, args.tolerance)
    print(f"wrote {path} ({kind}); onnxruntime vs torch on {len(inputs)} inputs: max |difference| "
          f"{result.max_abs_difference:.2e} (tolerance {result.tolerance:.0e})")
    if not result.ok:
        raise InputError(str(path), f"onnxruntime output differs from torch by {result.max_abs_difference:.2e} "
                                    f"> tolerance {result.tolerance:.0e}")
    return 0
