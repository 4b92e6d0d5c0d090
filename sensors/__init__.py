"""Sensor front-ends, one package per sensor kind: decode, preprocess, detect, measurement model."""
