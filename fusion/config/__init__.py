"""YAML configuration: typed schemas (pydantic) and one loader that reports errors by file and key path."""
from fusion.config.loader import StrictModel, load_config, parse_config

__all__ = ["StrictModel", "load_config", "parse_config"]
