#!/usr/bin/env bash
# The CUDA check, as one prepared script for a machine with a GPU: grades the solutions on
# CUDA (the whole course, target under 10 s), then the LeNet accuracy check at seeds 0-9, and
# records the timings, accuracy curves and reports (SEEDS="0 1 2" for fewer seeds; CLASS=N
# also measures grade-class on N synthetic submissions).
#
#   GRADER_DATA_DIR=/path/to/data OUT=/tmp/gpu bash benchmarks/gpu_check.sh
#
# Needs the grader installed (python3 -m pip install --no-deps -e .: its child processes start
# in a temporary folder, so PYTHONPATH or the current folder is not enough) with torchinfo,
# and MNIST in $GRADER_DATA_DIR (the folder that holds MNIST/raw/). Writes $OUT/gpu.log and
# the JSON reports; exits non-zero when a solution does not score 100 % on CUDA.
set -uo pipefail
status=0
out="${OUT:-gpu-check}"
mkdir -p "$out"
log="$out/gpu.log"
grade() { python3 -m grader "$@"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))" | tee "$log"
for run in 1 2; do
  start=$(date +%s%N)
  grade solutions/ --device cuda --fail-under 100 --json "$out/cuda-solutions-$run.json" \
    2>/dev/null | tail -n 7 | tee -a "$log" || status=1
  echo "run $run: grade solutions/ --device cuda: $(ms "$start") ms" | tee -a "$log"
done
start=$(date +%s%N)
grade exercises/ --device cuda --json "$out/cuda-exercises.json" 2>/dev/null | tail -n 1 | tee -a "$log"
echo "grade exercises/ --device cuda: $(ms "$start") ms" | tee -a "$log"
start=$(date +%s%N)
grade exercises/ --only tensors --device cuda 2>/dev/null | tail -n 1 | tee -a "$log"
echo "first feedback, grade exercises/ --only tensors --device cuda: $(ms "$start") ms" | tee -a "$log"
for seed in ${SEEDS:-0 1 2 3 4 5 6 7 8 9}; do
  grade solutions/ --only lenet --check lenet.trained_accuracy --device cuda --seed "$seed" \
    --fail-under 100 --json "$out/lenet-seed-$seed.json" >/dev/null 2>&1 \
    || { status=1; echo "seed $seed: LeNet below 100 %" | tee -a "$log"; }
done
python3 - "$out" <<'PY' | tee -a "$log"
import json, sys, pathlib
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    report = json.loads(path.read_text())
    if path.name.startswith("cuda-"):
        print(f"{path.name}: student code ran with isolation "
              f"{report['environment'].get('isolation', '?')!r}")
    for exercise in report["exercises"]:
        if path.name.startswith("cuda-"):
            print(f"{path.name}: {exercise['name']} {exercise['duration_s']} s")
        for check in exercise["checks"]:
            training = check["details"].get("training")
            if training:
                print(f"{path.name} seed {report['environment']['seed']}: {check['id']}: "
                      f"{100 * training['accuracy']:.2f} % after {training['samples']} samples "
                      f"in {training['seconds']} s on {training['device']}")
PY
# With CLASS=N: grade-class's throughput on this machine's cores, N synthetic submissions.
if [ -n "${CLASS:-}" ]; then
  python3 benchmarks/bench_class.py --data-dir "$GRADER_DATA_DIR" --size "$CLASS" \
    --no-overhead --dask-workers 0 --pool 4 --pool 8 --pool 16 2>/dev/null | tee -a "$log"
fi
exit "$status"
