#!/usr/bin/env bash
# The GPU checks of issue 22, as one script for a lent CUDA machine (see
# research/gpu/README.md): the CUDA tests, `sklearn-ct bench --only devices`
# and the MNIST row of the reproduction on the GPU and on the CPU.
# Run from the repository root; wheels the machine lacks in .whl/ (skorch,
# pooch, platformdirs, mlxtend, tabulate, scikit-learn, captum); results in $OUT.
set -u
export PYTHONUNBUFFERED=1 OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --upgrade --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site:$PWD
fi
step() { echo "== $* ($(date +%T))"; }
step machine
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
nproc
python3 -c "import torch, sklearn, skorch; print('torch', torch.__version__, \
'cuda', torch.cuda.is_available(), 'sklearn', sklearn.__version__, 'skorch', skorch.__version__)"
step CUDA tests
timeout 100 python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py 2>&1 | tail -25
if [ -z "${SKIP_BENCH:-}" ]; then
    step bench devices
    timeout 130 python3 -m sklearn_ct.cli bench --only devices --out "$OUT/bench"
fi
for device in cuda cpu; do
    step "MNIST row, one seed, $device"
    timeout 130 python3 -m sklearn_ct.cli reproduce \
        --datasets mnist --device $device --n-jobs 2 --out /tmp/mnist-$device --quiet
    mkdir -p "$OUT/mnist_$device"
    cp /tmp/mnist-$device/main_table.md /tmp/mnist-$device/settings.json \
        "$OUT/mnist_$device/" 2>/dev/null
    python3 - "$device" <<'PY'
import json, sys
d = json.load(open(f"/tmp/mnist-{sys.argv[1]}/settings.json"))
print("stages", {k: round(v, 1) for k, v in d["seconds"].items()})
print("fits", {k: round(v["wall"], 1) for k, v in d["task_seconds"]["fit"].items()})
print("evaluations", {k: round(v["wall"], 1) for k, v in d["task_seconds"]["evaluate"].items()})
PY
    sed -n 1,8p /tmp/mnist-$device/main_table.md
done
step done
