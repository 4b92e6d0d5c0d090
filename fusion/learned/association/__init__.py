"""Learned association: pair features of predicted tracks and detections, a pairwise scoring
network, the tracker cost that uses it, and the KITTI training data behind it."""
