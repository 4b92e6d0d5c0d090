"""Taishan fusion core: data model, configs, estimation and tracking."""

__version__ = "0.1.0"
