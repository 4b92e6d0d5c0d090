"""Learned fusion in PyTorch: a learned track-detection association cost for the tracker, and a
lidar + radar bird's-eye-view detector with CenterPoint-style heads.

Shared machinery: safetensors checkpoints that carry the config they were trained with
(`checkpoint`), a deterministic training loop with CSV metrics, learning curves and resume
(`training`), ONNX export checked against onnxruntime (`onnx_export`). torch is imported only by the
modules that need it, so the tracker and the CLI do not pay for it.
"""
