"""Middleware-free data model: stamps, frames, transforms, measurements, tracked objects."""
