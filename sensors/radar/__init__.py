"""Radar front-end."""
