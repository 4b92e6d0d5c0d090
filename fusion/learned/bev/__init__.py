"""Lidar + radar bird's-eye-view detector: rasteriser, CenterPoint-style network, training targets,
decoding to Boxes3D, simulated training data and average precision."""
