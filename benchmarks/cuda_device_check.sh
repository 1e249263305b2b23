#!/usr/bin/env bash
# The GPU check a session runs when it is lent a machine with an NVIDIA GPU (docs/cuda.md):
# build pysynth there (CPU engine + the WaveNet and SampleRNN CUDA kernels for sm_90), the
# kernels' register use, tests/engine with the device present (both families' GPU tests:
# test_cuda.py, test_cuda_samplernn.py), each bad-input test in its own process (a crash
# then names its case), and the speed table (benchmarks/cuda_speed.py: WaveNet small/ibab,
# SampleRNN prism and prism-lstm, and small/prism with a mol16 head and a 16-tap linear
# predictor, at B = 1, 32, 256 beside the CPU engine). Needs only what
# such a machine's image has (python3 with numpy, pybind11, scikit-build-core, pytest;
# CUDA's nvcc; no TensorFlow, no soundfile); results go to $OUT (default ./device-out).
# About 5 minutes on an H200 machine.
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
# Registers and spills of each kernel (launch bounds 512 threads).
for k in wavenet_kernel samplernn_kernel; do
  nvcc -std=c++17 -O2 -arch=sm_90 -Xptxas -v -Icsrc -c "csrc/cuda/$k.cu" -o /tmp/$k.o 2>&1 \
    | grep -E "registers|spill" | sed "s/^/$k: /" | head -4
done
PT="python3 -m pytest -p no:cacheprovider -o addopts=-ra --import-mode=importlib"
timeout 300 $PT -v tests/engine -m "not slow" -k "not bad and not reject and not non_finite" \
  > "$OUT/engine_tests.log" 2>&1
echo "engine tests rc=$?: $(grep -c 'gpu.*PASSED' "$OUT/engine_tests.log") GPU tests passed"
tail -1 "$OUT/engine_tests.log"
grep -E "(FAILED|ERROR) " "$OUT/engine_tests.log" | head -20
for f in tests/engine/test_*.py; do
  $PT "$f" --collect-only -k "bad or reject or non_finite" 2>/dev/null | grep "::" > /tmp/ids.txt
  while IFS= read -r id; do
    timeout 60 $PT -q "$id" > /tmp/one.log 2>&1 < /dev/null
    rc=$?; [ $rc -ne 0 ] && { echo "rc=$rc $id"; tail -n 30 /tmp/one.log >> "$OUT/bad_cases.log"; }
  done < /tmp/ids.txt
done
timeout 300 python3 benchmarks/cuda_speed.py --out "$OUT/cuda_speed.json"
