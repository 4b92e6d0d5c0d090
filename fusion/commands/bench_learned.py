"""`taishan bench learned`: CPU inference time of the learned models.

association: one cost evaluation for 50 tracks x 50 lidar boxes (2,500 candidate pairs: features from
a real tracker's 50 tracks, then the network) against the Mahalanobis cost on the same pairs, and a
whole tracker cycle (50 tracks, 50 boxes) with the learned cost against the Kalman-only one. bev: one simulated sweep through input preparation (radar ego-velocity fit and Doppler
compensation, points to base_link), rasteriser, network (torch, and onnxruntime) and decoder, against
the classical lidar front-end on the same sweep. Trained checkpoints are used when the
configs' paths exist, else freshly initialised weights (the time is the same). One torch thread.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

N_TRACKS = N_DETECTIONS = 50


def register(groups) -> None:
    groups.add_benchmark("learned", "CPU inference: learned association (50 x 50 pairs) and BEV detector per frame", run)


def _median_ms(fn: Callable[[], Any], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)


def _association(repeats: int) -> dict[str, float]:
    import torch

    from fusion.config.loader import config_dir, load_config
    from fusion.config.vehicle import VehicleConfig
    from fusion.core.classes import ObjectClass
    from fusion.core.measurements import Boxes3D
    from fusion.learned.association.config import load_association_config
    from fusion.learned.association.cost import LearnedAssociationCost, with_gate
    from fusion.learned.association.features import pair_features, track_features
    from fusion.learned.association.model import build_association_model
    from fusion.tracking.association import Candidates, MahalanobisCost, chi_square_gate, mahalanobis2
    from fusion.tracking.config import TrackerConfig
    from fusion.tracking.tracker import MultiObjectTracker

    config = load_association_config()
    tracker_config = TrackerConfig(frame_id="base_link")
    gate = chi_square_gate(tracker_config.association.gate_probability, 4)
    trained = Path(config.checkpoint).is_file()
    cost = (LearnedAssociationCost.from_checkpoint(config, gate) if trained
            else LearnedAssociationCost(build_association_model(config), config, gate))
    vehicle = load_config(config_dir() / "vehicle.yaml", VehicleConfig)
    lidar_id, lidar = next(iter(vehicle.sensors_of_kind("lidar").items()))
    tree = vehicle.transform_tree()
    kalman = MultiObjectTracker(tracker_config, vehicle, tree)
    learned = MultiObjectTracker(with_gate(tracker_config, config.cost.gate_probability), vehicle, tree, costs={"lidar": cost})
    cost.bind(learned)
    grid = np.stack(np.meshgrid(np.arange(10) * 6.0, np.arange(5) * 3.5), -1).reshape(-1, 2)[:N_TRACKS]
    rng = np.random.default_rng(0)

    def sweep(k: int) -> Boxes3D:
        """50 cars at 8 m/s with 0.15 m detection noise, sweep k (10 Hz)."""
        centers = np.column_stack([grid + [8.0 + 0.8 * k, -7.0], np.full(N_TRACKS, -1.0)]) + rng.normal(0, 0.15, (N_TRACKS, 3))
        return Boxes3D(1_000_000_000 + k * 100_000_000, lidar.frame_id, lidar_id, centers=centers,
                       sizes=np.tile([4.2, 1.8, 1.5], (N_TRACKS, 1)), yaws=np.zeros(N_TRACKS),
                       classes=np.full(N_TRACKS, int(ObjectClass.CAR)))

    for k in range(3):
        batch = sweep(k)
        kalman.step(batch)
        learned.step(batch)
    if len(learned.tracks) != N_TRACKS:
        raise RuntimeError(f"the benchmark scene should hold {N_TRACKS} tracks, the tracker has {len(learned.tracks)}")
    batches = [sweep(k) for k in range(3, 3 + repeats + 1)]
    counters = {"kalman": iter(batches), "learned": iter(batches)}

    t, d = np.repeat(np.arange(N_TRACKS), N_DETECTIONS), np.tile(np.arange(N_DETECTIONS), N_TRACKS)
    residual = rng.normal(0.0, 0.5, (len(t), 4))
    S = np.broadcast_to(np.diag([0.3, 0.3, 0.2, 0.1]), (len(t), 4, 4)).copy()
    classes = np.full(len(t), int(ObjectClass.CAR))
    pairs = Candidates("lidar", t, d, residual, S, mahalanobis2(residual, S), classes, classes, np.ones(len(t)), None)
    features = torch.from_numpy(pair_features(pairs, track_features(learned)))
    with torch.no_grad():
        figures = {
            "pairs": float(len(pairs)),
            "trained_checkpoint": float(trained),
            "learned_cost_ms": _median_ms(lambda: cost(pairs), repeats),
            "features_ms": _median_ms(lambda: pair_features(pairs, track_features(learned)), repeats),
            "network_ms": _median_ms(lambda: cost.model(features), repeats),
            "mahalanobis_cost_ms": _median_ms(lambda: MahalanobisCost(gate)(pairs), repeats),
            "kalman_cycle_ms": _median_ms(lambda: kalman.step(next(counters["kalman"])), repeats),
            "learned_cycle_ms": _median_ms(lambda: learned.step(next(counters["learned"])), repeats),
        }
    figures["learned_over_kalman_cycle"] = figures["learned_cycle_ms"] / figures["kalman_cycle_ms"]
    return figures


def _bev(repeats: int) -> dict[str, float]:
    import torch

    from fusion.learned.bev.config import load_bev_config
    from fusion.learned.bev.decode import decode
    from fusion.learned.bev.inputs import RadarScan, bev_inputs, cloud_intensity, lidar_points_in_base
    from fusion.learned.bev.model import build_bev_model
    from fusion.learned.bev.raster import rasterise
    from fusion.learned.bev.sim_data import scenario_config, vehicle_config
    from fusion.learned.checkpoint import load_weights
    from fusion.learned.onnx_export import OnnxRunner, export
    from datasets.simulation.scenario import simulate_scenario
    from fusion.core.measurements import LidarPointCloud, RadarDetections
    from sensors.lidar.detector import LidarDetector

    config = load_bev_config()
    config = config.model_copy(update={"data": config.data.model_copy(update={"duration_s": 1.0})})
    model = build_bev_model(config).eval()
    trained = Path(config.checkpoint).is_file()
    if trained:
        load_weights(config.checkpoint, model)
    vehicle = vehicle_config(config)
    scenario = simulate_scenario(scenario_config(config, config.data.test_seeds[0]), vehicle)
    cloud = next(e.measurement for e in scenario.events if isinstance(e.measurement, LidarPointCloud))
    tree, base = vehicle.transform_tree(), vehicle.vehicle.base_frame
    base_from_lidar = tree.lookup(base, cloud.frame_id)
    scans = [RadarScan(e.measurement, tree.lookup(base, e.measurement.frame_id)) for e in scenario.events
             if isinstance(e.measurement, RadarDetections)][:3]

    def inputs():
        return bev_inputs(lidar_points_in_base(cloud, base_from_lidar), cloud_intensity(cloud), scans)

    prepared = inputs()
    raster = torch.from_numpy(rasterise(config.raster, prepared)[None])
    with torch.no_grad():
        output = model(raster)
        classical = LidarDetector()
        figures = {
            "trained_checkpoint": float(trained),
            "points": float(len(cloud)),
            "inputs_ms": _median_ms(inputs, repeats),
            "raster_ms": _median_ms(lambda: rasterise(config.raster, prepared), repeats),
            "network_ms": _median_ms(lambda: model(raster), repeats),
            "decode_ms": _median_ms(lambda: decode(output, config), repeats),
            "classical_lidar_ms": _median_ms(lambda: classical.detect(cloud), repeats),
        }
    with tempfile.TemporaryDirectory() as tmp:
        path = export(model, raster, Path(tmp) / "bev.onnx", "raster", "output")
        runner = OnnxRunner(path, threads=1)
        figures["network_onnxruntime_ms"] = _median_ms(lambda: runner(raster.numpy()), repeats)
    figures["frame_ms"] = figures["inputs_ms"] + figures["raster_ms"] + figures["network_ms"] + figures["decode_ms"]
    figures["frame_over_classical"] = figures["frame_ms"] / figures["classical_lidar_ms"]
    return figures


def run(args: argparse.Namespace) -> dict[str, Any]:
    """On one CPU thread (a per-frame stage of the graph; also steadier on a shared machine)."""
    import torch

    repeats = 3 if args.quick else 30
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return {"torch_threads": 1, "association_50x50": _association(repeats), "bev_detector": _bev(repeats)}
    finally:
        torch.set_num_threads(threads)
