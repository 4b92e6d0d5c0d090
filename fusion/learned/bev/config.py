"""configs/bev_detector.yaml: the lidar + radar BEV detector's grid, network, targets, losses,
decoding, simulated training data, training and the checkpoint the graph stage loads.

`raster` and `model` define the network's input and shape: a checkpoint only loads with the same
values (checked, each differing key named). The other sections may change between training and use.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from fusion.config.loader import StrictModel, config_dir, load_config
from fusion.core.classes import ObjectClass
from fusion.core.errors import InputError
from fusion.learned.config import NonNegative, Positive, Probability, TrainingConfig, with_checkpoint_beside

ARCHITECTURE = ("raster", "model")
KIND = "bev_detector"


class RasterConfig(StrictModel):
    """The grid in base_link (x forward, y left, z up, ground at z = 0): x in [x_min_m, x_max_m),
    y in [y_min_m, y_max_m), square cells of cell_m. Lidar points with z outside [z_min_m, z_max_m]
    are dropped; radar scans whose stamp is within radar_window_s of the lidar sweep's are used."""

    x_min_m: float = -19.2
    x_max_m: float = 44.8
    y_min_m: float = -32.0
    y_max_m: float = 32.0
    cell_m: Positive = 0.5
    z_min_m: float = -0.3
    z_max_m: float = 3.5
    density_saturation: Annotated[int, Field(ge=1)] = 16   # points per cell for a density of 1
    radar: bool = True                                       # radar channels (zero when off)
    radar_window_s: NonNegative = 0.06

    @property
    def shape(self) -> tuple[int, int]:
        """Cells along x (rows) and y (columns)."""
        return (int(round((self.x_max_m - self.x_min_m) / self.cell_m)), int(round((self.y_max_m - self.y_min_m) / self.cell_m)))

    def semantic_problems(self) -> list[tuple[str, str]]:
        problems = []
        for axis in ("x", "y"):
            low, high = getattr(self, f"{axis}_min_m"), getattr(self, f"{axis}_max_m")
            cells = (high - low) / self.cell_m
            if high <= low:
                problems.append((f"{axis}_max_m", f"must exceed {axis}_min_m ({low})"))
            elif abs(cells - round(cells)) > 1e-6 or round(cells) % 8:
                problems.append((f"{axis}_max_m", f"({axis}_max_m - {axis}_min_m) / cell_m must be a whole multiple of 8 cells, got {cells:g}"))
        if self.z_max_m <= self.z_min_m:
            problems.append(("z_max_m", f"must exceed z_min_m ({self.z_min_m})"))
        return problems


class ModelConfig(StrictModel):
    """Backbone widths: a full-resolution stem, then stages at strides 2 and 4; the stride-4 stage
    is upsampled and merged with stride 2, where the heads run (one heatmap channel per class)."""

    classes: list[str] = ["car", "pedestrian", "bicycle"]
    channels: Annotated[list[Annotated[int, Field(ge=4, le=512)]], Field(min_length=3, max_length=3)] = [16, 32, 64]
    head_channels: Annotated[int, Field(ge=4, le=256)] = 32

    def class_values(self) -> list[ObjectClass]:
        return [ObjectClass.parse(c) for c in self.classes]

    def semantic_problems(self) -> list[tuple[str, str]]:
        problems = []
        for i, name in enumerate(self.classes):
            try:
                ObjectClass.parse(name)
            except InputError as exc:
                problems.append((f"classes[{i}]", exc.reason))
        if not self.classes:
            problems.append(("classes", "needs at least one class"))
        return problems


class TargetConfig(StrictModel):
    """Gaussian heatmap peaks as in CenterNet: the radius keeps a box shifted by it above
    `min_overlap` IoU, at least `min_radius_cells` (output cells)."""

    min_overlap: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.1
    min_radius_cells: Annotated[int, Field(ge=0, le=8)] = 1
    min_points: Annotated[int, Field(ge=0)] = 5    # ground-truth boxes with fewer lidar points are ignored


class LossConfig(StrictModel):
    heatmap: Positive = 1.0
    offset: NonNegative = 1.0
    z: NonNegative = 0.5
    size: NonNegative = 0.5
    yaw: NonNegative = 0.5
    velocity: NonNegative = 0.25


class DecodeConfig(StrictModel):
    score_threshold: Probability = 0.2
    max_detections: Annotated[int, Field(ge=1, le=1000)] = 100
    nms_kernel: Annotated[int, Field(ge=1, le=9)] = 3


class DataConfig(StrictModel):
    """Simulated scenes: the scenario config with these seeds, durations and (denser than the
    default drive's) traffic counts; each lidar sweep is a sample. `frame_stride` keeps every n-th."""

    scenario: str = ""          # scenario config path; empty: the shipped configs/scenario.yaml
    vehicle: str = ""           # vehicle config path; empty: the shipped configs/vehicle.yaml
    train_seeds: list[Annotated[int, Field(ge=0)]] = [11, 12, 13, 14]
    validation_seeds: list[Annotated[int, Field(ge=0)]] = [21]
    test_seeds: list[Annotated[int, Field(ge=0)]] = [31, 32]
    duration_s: Annotated[float, Field(gt=0.0, le=600.0)] = 20.0
    frame_stride: Annotated[int, Field(ge=1)] = 1
    cars: Annotated[int, Field(ge=0, le=1000)] = 70
    pedestrians: Annotated[int, Field(ge=0, le=1000)] = 50
    cyclists: Annotated[int, Field(ge=0, le=1000)] = 25


class BevDetectorConfig(StrictModel):
    raster: RasterConfig = RasterConfig()
    model: ModelConfig = ModelConfig()
    targets: TargetConfig = TargetConfig()
    loss: LossConfig = LossConfig()
    decode: DecodeConfig = DecodeConfig()
    data: DataConfig = DataConfig()
    training: TrainingConfig = TrainingConfig(epochs=12, batch_size=8)
    # torch intra-op threads of the graph stage (0: torch's default). It infers one sweep at a time:
    # more threads gain little on this small network and contend with the other nodes for the cores.
    torch_threads: Annotated[int, Field(ge=0, le=256)] = 1
    # loaded by the graph stage; a relative path is relative to this config file's folder (to the
    # working directory for a config not read from a file)
    checkpoint: str = "runs/bev/model.safetensors"

    def semantic_problems(self) -> list[tuple[str, str]]:
        return [(f"{section}.{key}", problem) for section in ("raster", "model")
                for key, problem in getattr(self, section).semantic_problems()]


def default_bev_path() -> Path:
    return config_dir() / "bev_detector.yaml"


def load_bev_config(path: str | Path | None = None) -> BevDetectorConfig:
    """The config with its checkpoint path resolved against the file's folder."""
    path = path or default_bev_path()
    return with_checkpoint_beside(load_config(path, BevDetectorConfig), path)
