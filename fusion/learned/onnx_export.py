"""ONNX export of the learned models, checked against onnxruntime.

The TorchScript-based exporter is used (`dynamo=False`): it needs no extra packages and handles
these plain convolutional / MLP graphs; the batch (BEV) or pair (association) axis stays dynamic.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fusion.core.errors import InputError

OPSET = 17


@dataclass
class ExportCheck:
    path: Path
    max_abs_difference: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.max_abs_difference <= self.tolerance


def export(model: torch.nn.Module, example: torch.Tensor, path: str | Path, input_name: str, output_name: str) -> Path:
    """Write `model` (eval mode) as ONNX with a dynamic first axis."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # the TorchScript exporter is deprecated, not gone
        torch.onnx.export(model, (example,), str(path), dynamo=False, opset_version=OPSET, input_names=[input_name],
                          output_names=[output_name], dynamic_axes={input_name: {0: "n"}, output_name: {0: "n"}})
    return path


class OnnxRunner:
    """An ONNX model on onnxruntime's CPU provider; calling it runs one input array."""

    def __init__(self, path: str | Path, threads: int | None = None):
        """`threads`: onnxruntime's intra-op threads (None: its default, one per core)."""
        import onnxruntime

        self.path = Path(path)
        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0]

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        want = self.input.shape
        if len(want) != inputs.ndim or any(isinstance(w, int) and w != g for w, g in zip(want, inputs.shape)):
            raise InputError(str(self.path), f"ONNX model expects input {self.input.name!r} of shape {want}, got {inputs.shape}")
        return self.session.run(None, {self.input.name: inputs.astype(np.float32)})[0]


def check(model: torch.nn.Module, path: str | Path, inputs: torch.Tensor, tolerance: float) -> ExportCheck:
    """Compare torch and onnxruntime outputs on `inputs`."""
    with torch.no_grad():
        expected = model.eval()(inputs).numpy()
    got = OnnxRunner(path)(inputs.numpy())
    return ExportCheck(Path(path), float(np.max(np.abs(expected - got))) if expected.size else 0.0, tolerance)
