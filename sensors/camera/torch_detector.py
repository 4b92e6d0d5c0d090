"""A PyTorch image detector loaded from a local checkpoint, producing CameraDetections.

The model is any torch.nn.Module that follows torchvision's detection contract: it takes a list
of float images (3, H, W) in [0, 1] and returns one dict per image with 'boxes' (K, 4) x1 y1 x2 y2
in pixels, 'labels' (K,) indices into the detector's class list and 'scores' (K,). The caller
builds the architecture (`build_model`), and only its weights come from disk: a .safetensors file
or a torch state dict read with torch.load(weights_only=True), so a checkpoint cannot run code.
Nothing is ever downloaded.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.core.measurements import CameraDetections


def load_state_dict(path: Path | str) -> dict[str, Any]:
    """Weights from a local .safetensors file or a torch checkpoint (a state dict, or a dict with
    one under 'state_dict' / 'model'), loaded without executing pickled code."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint {path}", "file not found")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt or unsafe files
        raise InputError(f"checkpoint {path}", f"cannot be read as a weights-only torch checkpoint: {exc}") from None
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError(f"checkpoint {path}", "holds no state dict of tensors")
    return state


class TorchImageDetector:
    """Runs a detection model on images; class_map[i] is the ObjectClass of the model's label i
    (None for labels that are no road user: their detections are dropped)."""

    def __init__(self, model: Any, class_map: Sequence[ObjectClass | None], score_threshold: float = 0.3,
                 device: str = "cpu"):
        self.model = model.to(device).eval()
        self.class_map = list(class_map)
        self.score_threshold = float(score_threshold)
        self.device = device

    @classmethod
    def from_checkpoint(cls, path: Path | str, build_model: Callable[[], Any], class_map: Sequence[ObjectClass | None],
                        score_threshold: float = 0.3, device: str = "cpu") -> TorchImageDetector:
        """build_model() makes the architecture; the checkpoint's weights must match it exactly."""
        model = build_model()
        try:
            model.load_state_dict(load_state_dict(path), strict=True)
        except RuntimeError as exc:
            raise InputError(f"checkpoint {path}", f"does not fit the model: {exc}") from None
        return cls(model, class_map, score_threshold, device)

    def detect(self, image: np.ndarray, stamp_ns: int, frame_id: str, sensor_id: str) -> CameraDetections:
        """Detections in one image (H, W, 3) uint8 RGB."""
        import torch

        source = f"camera {sensor_id!r} (frame {frame_id!r}, stamp {stamp_ns})"
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InputError(source, f"image must be H x W x 3 uint8, got shape {image.shape} dtype {image.dtype}")
        if image.shape[0] == 0 or image.shape[1] == 0:
            raise InputError(source, f"image has zero size {image.shape[1]}x{image.shape[0]}")
        tensor = torch.from_numpy(image).to(self.device).permute(2, 0, 1).float() / 255.0
        with torch.inference_mode():
            output = self.model([tensor])[0]
        boxes = output["boxes"].detach().cpu().numpy().reshape(-1, 4).astype(float)
        labels = output["labels"].detach().cpu().numpy().astype(np.int64)
        scores = output["scores"].detach().cpu().numpy().astype(float)
        if np.any((labels < 0) | (labels >= len(self.class_map))):
            raise InputError(source, f"model label outside its class map of {len(self.class_map)} classes: {sorted(set(labels.tolist()))}")
        mapped = np.array([-1 if self.class_map[i] is None else int(self.class_map[i]) for i in labels], dtype=np.int64)
        keep = (scores >= self.score_threshold) & (mapped >= 0)
        height, width = image.shape[:2]
        boxes = np.clip(boxes[keep], 0, [width - 1, height - 1, width - 1, height - 1])
        return CameraDetections(stamp_ns, frame_id, sensor_id, boxes=boxes, classes=mapped[keep], scores=scores[keep])
