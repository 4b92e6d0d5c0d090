#!/usr/bin/env bash
# GPU check of the learned models (issue 9): trains the BEV detector and the learned association for
# a few epochs on CUDA (wall times printed), then runs each trained model on the same inputs on the
# CPU and on CUDA and prints the largest difference. Needs torch with CUDA; KITTI data is optional
# (../shared/data/kitti-tracking/train or $KITTI). Outputs under $OUT (default /tmp/taishan_gpu_check).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-}
if [ -z "$PY" ]; then if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi; fi
OUT=${OUT:-/tmp/taishan_gpu_check}
KITTI=${KITTI:-../shared/data/kitti-tracking/train}
EPOCHS=${EPOCHS:-3}
rm -rf "$OUT" && mkdir -p "$OUT"

"$PY" -c "import torch; assert torch.cuda.is_available(), 'CUDA not available'; print('torch', torch.__version__, 'on', torch.cuda.get_device_name(0))"

# a smaller simulated data set than the default config's, so the check stays short
cat > "$OUT/bev_check.yaml" <<YAML
/**:
  ros__parameters:
    data: {train_seeds: [11, 12], validation_seeds: [21], duration_s: 10.0}
YAML
SECONDS=0
"$PY" -m fusion train bev --config "$OUT/bev_check.yaml" --out "$OUT/bev" --epochs "$EPOCHS" --device cuda
echo "bev: ${SECONDS} s wall (simulation + $EPOCHS epochs); per-epoch seconds in $OUT/bev/metrics.csv"
if [ -d "$KITTI" ]; then
  SECONDS=0
  "$PY" -m fusion train association --data "$KITTI" --out "$OUT/association" --epochs "$EPOCHS" --device cuda
  echo "association: ${SECONDS} s wall (pairs + 6 runs x $EPOCHS epochs)"
else
  echo "association: skipped ($KITTI not found)"
fi

"$PY" - "$OUT" <<'PYTHON'
import sys
from pathlib import Path

import torch

from fusion.commands.export_onnx import example_inputs, load_any

out = Path(sys.argv[1])
for path in (out / "bev" / "model.safetensors", out / "association" / "model.safetensors"):
    if not path.is_file():
        continue
    kind, model = load_any(path)
    inputs = example_inputs(kind, model)
    with torch.no_grad():
        cpu = model(inputs)
        gpu = model.to("cuda")(inputs.to("cuda")).cpu()
    scale = float(cpu.abs().max())
    print(f"{kind}: CPU vs CUDA max |difference| {float((cpu - gpu).abs().max()):.3e} (outputs up to {scale:.3g}); "
          f"equal within 1e-3 relative: {bool(torch.allclose(cpu, gpu, rtol=1e-3, atol=1e-3 * max(scale, 1.0)))}")
PYTHON
