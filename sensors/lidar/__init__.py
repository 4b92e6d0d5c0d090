"""Lidar front-end."""
