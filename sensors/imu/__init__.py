"""Imu front-end."""
