"""BEV detector pieces: rasteriser cells, targets decoded back to the boxes they came from, AP by
pycocotools, input-shape errors, ONNX export and simulated samples."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from fusion.core.classes import ObjectClass
from fusion.config.loader import parse_config
from fusion.core.errors import ConfigError, InputError
from fusion.learned.bev.average_precision import ApAccumulator, FrameBoxes
from fusion.learned.bev.config import BevDetectorConfig
from fusion.learned.bev.decode import decode
from fusion.learned.bev.model import REGRESSION, build_bev_model
from fusion.learned.bev.raster import CHANNELS, BevInputs, rasterise
from fusion.learned.bev.targets import GroundTruth, make_targets
from fusion.learned.onnx_export import check, export

TINY = {"model": {"channels": [4, 8, 8], "head_channels": 4}}


def test_raster_puts_points_in_their_cells():
    config = BevDetectorConfig()
    r = config.raster
    inputs = BevInputs(lidar_points=[[10.1, -5.2, 1.0], [10.2, -5.1, 2.0], [500.0, 0.0, 1.0]], lidar_intensity=[100.0, 200.0, 50.0],
                       radar_points=[[20.2, 3.3, 0.5]], radar_rcs=[10.0], radar_doppler=[-5.0], radar_los=[[1.0, 0.0, 0.0]])
    raster = rasterise(r, inputs)
    assert raster.shape == (len(CHANNELS), *r.shape)
    i, j = int((10.1 - r.x_min_m) / r.cell_m), int((-5.2 - r.y_min_m) / r.cell_m)
    assert raster[CHANNELS.index("lidar_occupancy")].sum() == 1 and raster[0, i, j] == 1
    assert raster[CHANNELS.index("lidar_intensity"), i, j] == pytest.approx(150 / 255)
    assert raster[CHANNELS.index("lidar_max_height"), i, j] == pytest.approx((2.0 - r.z_min_m) / (r.z_max_m - r.z_min_m))
    k, m = int((20.2 - r.x_min_m) / r.cell_m), int((3.3 - r.y_min_m) / r.cell_m)
    assert raster[CHANNELS.index("radar_doppler_x"), k, m] == pytest.approx(-0.5)
    with pytest.raises(InputError, match="2 lidar intensities for 3 points"):
        BevInputs([[0, 0, 0]] * 3, [1.0, 2.0], np.zeros((0, 3)), [], [], np.zeros((0, 3)))


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"raster.x_max_m: .* whole multiple of 8 cells, got 130"):
        parse_config({"raster": {"x_max_m": 45.8}}, BevDetectorConfig, "bev_detector.yaml")
    with pytest.raises(ConfigError, match=r"model.classes\[1\]: unknown class 'dragon'"):
        parse_config({"model": {"classes": ["car", "dragon"]}}, BevDetectorConfig, "bev_detector.yaml")


def truth() -> GroundTruth:
    return GroundTruth(centers=np.array([[12.3, -4.1, 0.8], [25.7, 6.6, 0.9]]), sizes=np.array([[4.5, 1.9, 1.6], [0.6, 0.6, 1.8]]),
                       yaws=np.array([0.4, -2.0]), classes=np.array([int(ObjectClass.CAR), int(ObjectClass.PEDESTRIAN)]),
                       velocities=np.array([[8.0, 1.0, 0.0], [-1.0, 0.5, 0.0]]), points=np.array([80, 12]))


def test_targets_decode_back_to_the_boxes():
    config = BevDetectorConfig()
    t = make_targets(config, truth())
    assert t.mask.sum() == 2 and t.heatmap.max() == 1.0
    # a network output that says exactly what the targets say
    logits = np.where(t.heatmap == 1.0, 10.0, -10.0)
    output = torch.from_numpy(np.concatenate([logits, t.regression])[None].astype(np.float32))
    (boxes,) = decode(output, config)
    order = np.argsort(boxes.centers[:, 0])
    np.testing.assert_allclose(boxes.centers[order], truth().centers, atol=1e-5)
    np.testing.assert_allclose(boxes.sizes[order], truth().sizes, rtol=1e-5)
    np.testing.assert_allclose(boxes.yaws[order], truth().yaws, atol=1e-5)
    np.testing.assert_allclose(boxes.velocities[order], truth().velocities, atol=1e-5)
    assert boxes.classes[order].tolist() == [int(ObjectClass.CAR), int(ObjectClass.PEDESTRIAN)]


def test_boxes_with_too_few_points_are_ignored_not_background():
    config = BevDetectorConfig()
    sparse = truth()
    sparse.points = np.array([80, 1])
    t = make_targets(config, sparse)
    assert t.mask.sum() == 1 and (t.heatmap_weight == 0).any()


def test_average_precision_by_pycocotools():
    bev = np.array([[10.0, 0.0, 4.5, 1.9, 0.0], [20.0, 5.0, 4.5, 1.9, 1.0], [30.0, -5.0, 0.6, 0.6, 0.0]])
    classes = np.array([1, 1, 7])
    perfect = ApAccumulator([ObjectClass.CAR, ObjectClass.PEDESTRIAN])
    perfect.add(FrameBoxes(bev, classes, scores=np.array([0.9, 0.8, 0.7])), FrameBoxes(bev, classes))
    result = perfect.result()
    assert result["car"]["AP"] == pytest.approx(1.0) and result["mAP"]["AP"] == pytest.approx(1.0)
    shifted = ApAccumulator([ObjectClass.CAR])
    shifted.add(FrameBoxes(bev[:2] + [3.0, 0, 0, 0, 0], classes[:2], scores=np.ones(2)), FrameBoxes(bev[:2], classes[:2]))
    assert shifted.result()["car"]["AP"] == 0.0
    ignored = ApAccumulator([ObjectClass.CAR])   # a detection on an ignored box is no false positive
    ignored.add(FrameBoxes(bev[:2], classes[:2], scores=np.array([0.9, 0.95])),
                FrameBoxes(bev[:2], classes[:2], ignore=np.array([False, True])))
    assert ignored.result()["car"]["AP"] == pytest.approx(1.0)


def test_model_shapes_input_check_and_onnx(tmp_path):
    config = BevDetectorConfig.model_validate(TINY)
    model = build_bev_model(config).eval()
    rows, cols = config.raster.shape
    out = model(torch.zeros(1, len(CHANNELS), rows, cols))
    assert out.shape == (1, 3 + sum(n for _, n in REGRESSION), rows // 2, cols // 2)
    with pytest.raises(InputError, match=r"expected a raster of shape \(batch, 10, 128, 128\), got \(1, 9, 128, 128\)"):
        model.check_input(torch.zeros(1, 9, rows, cols))
    inputs = torch.rand(2, len(CHANNELS), rows, cols, generator=torch.Generator().manual_seed(0))
    result = check(model, export(model, inputs[:1], tmp_path / "bev.onnx", "raster", "output"), inputs, 1e-4)
    assert result.ok, result.max_abs_difference


def test_simulated_samples_have_rasters_and_truth_in_base_link():
    from fusion.learned.bev.sim_data import simulate_frames

    config = BevDetectorConfig.model_validate({**TINY, "data": {"duration_s": 0.3, "cars": 20, "pedestrians": 5, "cyclists": 2}})
    frames = simulate_frames(config, [5], with_classical=True, progress=False)
    assert frames and all(f.raster.shape == (len(CHANNELS), *config.raster.shape) for f in frames)
    f = frames[0]
    assert f.raster[CHANNELS.index("lidar_occupancy")].sum() > 100
    seen = f.truth.points >= config.targets.min_points
    assert seen.any(), "some object near the ego vehicle is hit by lidar points"
    assert f.classical is not None and f.classical.frame_id == "base_link"
