"""Synthetic scenarios with ground truth: ego trajectories, traffic, and sensor models."""
