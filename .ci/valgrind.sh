#!/usr/bin/env bash
# Memory safety of the matrix kernels: runs the gemm and transpose tests of
# crates/matrix (unit tests, tests/canary.rs, tests/sparse.rs, tests/plans.rs
# and tests/properties.rs with
# PROPTEST_CASES=200) under valgrind memcheck, once
# with MATNET_KERNEL=avx2 and once with MATNET_KERNEL=portable. The tests
# honour MATNET_KERNEL by testing only that kernel; valgrind cannot run
# AVX-512 (its CPUID hides avx512f, so runtime detection never picks it).
#
# Any memcheck error (invalid read/write, use of uninitialised memory) makes
# valgrind exit 1 and this script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

if ! command -v valgrind >/dev/null 2>&1; then
  echo "== installing valgrind"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq valgrind
fi
valgrind --version

echo "== building the matrix test binaries"
# tests/gemm.rs is left out: its large shapes took two thirds of the
# valgrind time (270 of 430 s), and every path they reach is forced on
# small shapes by tests/plans.rs (several k blocks and A chunks, whole B, A
# and B in place, B filled, narrow, dot-product, one-row, swapped, two
# threads), while tests/canary.rs covers the edges with fenced C.
#
# The executables cargo built, one per test target: lib unit tests,
# canary, sparse, properties, plans.
mapfile -t binaries < <(
  cargo test -p matnet-matrix --release --no-run --message-format=json |
    python3 -c '
import json, sys
wanted = {"matrix", "canary", "sparse", "properties", "plans"}
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    t = m.get("target", {})
    if m.get("reason") == "compiler-artifact" and m.get("executable") \
            and "/crates/matrix" in m.get("package_id", "") \
            and m.get("profile", {}).get("test") and t.get("name") in wanted:
        print(t["name"] + " " + m["executable"])
'
)
if [ "${#binaries[@]}" -lt 5 ]; then
  echo "expected 5 test binaries (matrix, canary, sparse, properties, plans), found: ${binaries[*]:-none}" >&2
  exit 1
fi

start=$SECONDS
runs=0
for kernel in avx2 portable; do
  for entry in "${binaries[@]}"; do
    name=${entry%% *}
    exe=${entry#* }
    echo "== valgrind: MATNET_KERNEL=$kernel $name"
    t0=$SECONDS
    MATNET_KERNEL=$kernel PROPTEST_CASES=200 RAYON_NUM_THREADS=2 \
      valgrind --tool=memcheck --error-exitcode=1 --quiet \
      "$exe" --test-threads=1 -q
    echo "   ok ($((SECONDS - t0)) s)"
    runs=$((runs + 1))
  done
done
echo "== valgrind: $runs runs, 0 errors, $((SECONDS - start)) s"
