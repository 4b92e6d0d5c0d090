"""`taishan eval ego`: the ego estimator on simulated drives scored against their ground truth.

Drives: the real KITTI GPS drive (470 s, 3.7 km of urban turns and near-stops; a scripted town
drive with full stops stands in where ../shared/data is absent) and a motorway drive (260 s,
7.4 km, curves, lane changes, slow traffic). Sensors as configs/vehicle.yaml states them:
automotive MEMS IMU at 100 Hz (noise densities, turn-on biases and Gauss-Markov bias instability),
GNSS at 10 Hz with 1.5 m horizontal noise and 1 % outliers of 25 m, a 30 s outage per drive, wheel
speed at 50 Hz with a 0.3 % scale error.

Figures (JSON; position errors horizontal): `pos_rmse_m` outside outages, `gnss_only_rmse_m` of
the raw fixes against the true antenna position, `heading_rmse_deg`, `outage_drift_m` at the end
of the outage with `outage_distance_m` travelled during it (the drive with the worst ratio),
`realtime_factor` (drive time / ESKF wall time; `realtime_factor_cpu` with its CPU time, which
other processes on a shared machine inflate less: see `load_average_1min`); `reference_ukf`
holds the same figures for the filterpy UKF run on the same data, and `drives` the per-drive
breakdown. Targets: position
RMSE <= 0.5 x GNSS-only, outage drift <= 2 % of the distance, heading RMSE <= 1 deg. A plot
(trajectory and errors over time) is written next to the JSON.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from fusion.config.loader import config_dir, load_config

REPO = Path(__file__).resolve().parents[2]
DEFAULT_KITTI = REPO.parent / "shared" / "data" / "trajectories" / "kitti_gps_1hz.txt"


def plot(runs, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(len(runs), 3, figsize=(18, 5.5 * len(runs)), squeeze=False,
                             gridspec_kw={"width_ratios": [1.2, 1.6, 1.0]})
    for row, run in zip(axes, runs):
        ax = row[0]
        ax.plot(*run.truth_xy.T, "k-", lw=1.0, label="truth")
        ax.plot(*run.eskf_xy.T, "C0-", lw=0.8, label="ESKF")
        ax.plot(*run.gnss_xy.T, ".", ms=1.0, color="0.6", label="GNSS fixes")
        for start, end in run.outages:
            inside = (run.times_s >= start) & (run.times_s < end)
            ax.plot(*run.truth_xy[inside].T, "r-", lw=3.0, alpha=0.4, label="GNSS outage")
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_title(f"{run.name}: trajectory (map frame, m)")
        ax.legend(loc="best", fontsize=8)
        ax = row[1]
        ax.plot(run.gnss_times_s, np.minimum(run.gnss_error_m, 10.0), ".", ms=1.0, color="0.7", label="GNSS-only (clipped at 10 m)")
        ax.plot(run.times_s, run.eskf_error_m, "C0-", lw=0.9, label=f"ESKF (RMSE {run.figures['pos_rmse_m']:.2f} m)")
        if run.ukf_error_m is not None:
            ax.plot(run.times_s, run.ukf_error_m, "C1--", lw=0.8, label=f"filterpy UKF (RMSE {run.figures['ukf_pos_rmse_m']:.2f} m)")
        for start, end in run.outages:
            ax.axvspan(start, end, color="r", alpha=0.1)
        ax.set_xlabel("time [s]")
        ax.set_ylabel("horizontal position error [m]")
        ax.legend(loc="upper right", fontsize=8)
        ax = row[2]
        ax.plot(run.times_s, run.heading_error_deg, "C0-", lw=0.8, label=f"ESKF (RMSE {run.figures['heading_rmse_deg']:.2f} deg)")
        if run.ukf_heading_error_deg is not None:
            ax.plot(run.times_s, run.ukf_heading_error_deg, "C1--", lw=0.7, label="filterpy UKF")
        ax.set_ylim(-3, 3)
        ax.set_xlabel("time [s]")
        ax.set_ylabel("heading error [deg]")
        ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    import json
    import logging
    import sys

    from tqdm import tqdm

    from datasets.simulation import drives
    from fusion.commands.bench import report
    from fusion.config.vehicle import VehicleConfig
    from fusion.ego.config import load_ego_config
    from fusion.ego.evaluation import run_drive, summarise

    vehicle = load_config(args.vehicle, VehicleConfig)
    config = load_ego_config(args.config)
    kitti = Path(args.kitti)
    if kitti.is_file():
        urban = drives.kitti_urban_drive(vehicle, kitti, seed=args.seed)
    else:
        print(f"eval ego: {kitti} not found, using the scripted town drive instead", file=sys.stderr)
        urban = drives.town_drive(vehicle, seed=args.seed)
    simulated = [urban, drives.highway_drive(vehicle, seed=args.seed + 1)]
    logging.getLogger("fusion.ego").setLevel(logging.ERROR)  # per-outlier warnings are counted in the JSON instead
    runs = []
    with tqdm(total=sum(len(d.measurements) for d in simulated), desc="eval ego", unit="msg", file=sys.stderr) as bar:
        for drive in simulated:
            runs.append(run_drive(drive, vehicle, config, with_reference=not args.no_reference, progress=bar.update))
    figures = summarise(runs)
    figures["drives"] = {r.name: r.figures for r in runs}
    json_path = Path(args.json)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    plot_path = json_path.with_suffix(".png")
    plot(runs, plot_path)
    figures["plot"] = str(plot_path)
    report({k: v for k, v in figures.items() if k != "drives"}, None)
    json_path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {json_path} and {plot_path}")
    return 0


def register(groups) -> None:
    parser = groups.add_to_group("eval", "ego", "ego estimator (IMU/GNSS/wheel ESKF) on simulated drives, "
                                                "against GNSS-only and a filterpy UKF", description=__doc__)
    parser.add_argument("--json", metavar="PATH", default="out/eval_ego/ego.json",
                        help="figures as JSON; the plot goes next to it (.png)")
    parser.add_argument("--kitti", metavar="FILE", default=str(DEFAULT_KITTI), help="KITTI GPS trajectory")
    parser.add_argument("--vehicle", metavar="YAML", default=str(config_dir() / "vehicle.yaml"), help="vehicle config")
    parser.add_argument("--config", metavar="YAML", default=str(config_dir() / "ego.yaml"), help="ego estimator config")
    parser.add_argument("--seed", type=int, default=1, help="noise seed of the first drive (the next uses seed + 1)")
    parser.add_argument("--no-reference", action="store_true", help="skip the (slower) filterpy UKF reference")
    parser.set_defaults(func=run)
