"""Scoring the tracker on simulated data: TrackEval metrics (HOTA, CLEAR, Identity) on bird's-eye-view
centre distances, RMSE of matched tracks, the scenario runner that feeds the tracker, and a dense
synthetic scene for benchmarks and tests."""
