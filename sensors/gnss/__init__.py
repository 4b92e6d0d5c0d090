"""Gnss front-end."""
