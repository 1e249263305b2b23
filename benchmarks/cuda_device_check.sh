#!/usr/bin/env bash
# The GPU check a session runs when it is lent a machine with an NVIDIA GPU (docs/cuda.md):
# build pysynth there (CPU engine + CUDA kernel for sm_90), run tests/engine with the device
# present, each bad-input test in its own process (a crash then names its case), and the
# speed table. Needs only what such a machine's image has (python3 with numpy, pybind11,
# scikit-build-core, pytest; CUDA's nvcc); results go to $OUT (default ./device-out).
#
#   bash benchmarks/cuda_device_check.sh
set -u
export PYTHONUNBUFFERED=1
OUT=${OUT:-device-out}; mkdir -p "$OUT"
cd "$(dirname "$0")/.."
nvidia-smi -L; python3 --version
rm -rf build
SKBUILD_CMAKE_ARGS="-DCMAKE_CUDA_ARCHITECTURES=90" python3 -m pip install -q --no-deps \
  --no-build-isolation --no-index . > "$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
PT="python3 -m pytest -p no:cacheprovider -o addopts=-ra --import-mode=importlib"
timeout 300 $PT -v tests/engine -m "not slow" -k "not bad and not reject and not non_finite" \
  > "$OUT/engine_tests.log" 2>&1
echo "engine tests rc=$?: $(grep -c 'gpu.*PASSED' "$OUT/engine_tests.log") GPU tests passed"
tail -1 "$OUT/engine_tests.log"
for f in tests/engine/test_*.py; do
  $PT "$f" --collect-only -k "bad or reject or non_finite" 2>/dev/null | grep "::" > /tmp/ids.txt
  while IFS= read -r id; do
    timeout 60 $PT -q "$id" > /tmp/one.log 2>&1 < /dev/null
    rc=$?; [ $rc -ne 0 ] && { echo "rc=$rc $id"; tail -n 30 /tmp/one.log >> "$OUT/bad_cases.log"; }
  done < /tmp/ids.txt
done
timeout 200 python3 benchmarks/cuda_speed.py --out "$OUT/cuda_speed.json"
