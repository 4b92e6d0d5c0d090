"""Ego-state estimation: an IMU-driven error-state Kalman filter fusing GNSS, wheel speed and the
vehicle's motion constraints, giving map -> base_link for the tracker."""
