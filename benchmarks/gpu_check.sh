#!/usr/bin/env bash
# The CUDA check of the MNIST and LeNet exercises, as one prepared script for a machine
# with a GPU: grades the solutions on CUDA and records the timings and reports.
#
#   GRADER_DATA_DIR=/path/to/data OUT=/tmp/gpu bash benchmarks/gpu_check.sh
#
# Needs the grader installed (pip install -e .) with torchinfo, and MNIST in
# $GRADER_DATA_DIR (the folder that holds MNIST/raw/). Writes $OUT/gpu.log and the JSON
# reports; exits non-zero when a solution does not score 100 % on CUDA.
set -euo pipefail
out="${OUT:-gpu-check}"
mkdir -p "$out"
log="$out/gpu.log"
python -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))" | tee "$log"
for exercise in mlp lenet; do
  start=$(date +%s%N)
  grade solutions/ --only "$exercise" --device cuda --fail-under 100 \
    --json "$out/cuda-$exercise.json" 2>&1 | tee -a "$log"
  end=$(date +%s%N)
  echo "grade solutions/ --only $exercise --device cuda: $(( (end - start) / 1000000 )) ms" | tee -a "$log"
done
python - "$out" <<'PY' | tee -a "$log"
import json, sys, pathlib
for path in sorted(pathlib.Path(sys.argv[1]).glob("cuda-*.json")):
    report = json.loads(path.read_text())
    for exercise in report["exercises"]:
        for check in exercise["checks"]:
            training = check["details"].get("training")
            if training:
                print(f"{check['id']}: {100 * training['accuracy']:.2f} % after "
                      f"{training['samples']} samples in {training['seconds']} s on {training['device']}")
PY
