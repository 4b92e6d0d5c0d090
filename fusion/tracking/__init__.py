"""Multi-object tracking: motion and measurement models, batched Kalman filters (KF, EKF, UKF, IMM),
association, track management and the asynchronous multi-sensor tracker.

Entry point: `fusion.tracking.tracker.MultiObjectTracker`; its config is `fusion.tracking.config`.
"""
