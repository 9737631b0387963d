#!/usr/bin/env bash
# Run every examples/*.py with no arguments, as a new user would, on the offline simulator.
# Each must exit 0 within LIMIT_S seconds (default 60). Prints each script's output and time;
# exits 1 if any failed or ran too long. PYTHON picks the interpreter (default: .venv's).
set -uo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
[[ -x "$PYTHON" ]] || PYTHON=python3
LIMIT_S="${LIMIT_S:-60}"

failed=()
for script in examples/*.py; do
  echo "=== $script"
  start=$(date +%s.%N)
  timeout --kill-after=5 "$LIMIT_S" "$PYTHON" "$script"
  rc=$?
  took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if [[ $rc -eq 0 ]]; then
    echo "--- ok: $script in ${took}s"
  else
    [[ $rc -eq 124 || $rc -eq 137 ]] && why="over ${LIMIT_S}s" || why="exit $rc"
    echo "--- FAILED: $script ($why, ${took}s)"
    failed+=("$script")
  fi
done

if (( ${#failed[@]} )); then
  echo "failed examples: ${failed[*]}"
  exit 1
fi
echo "all examples ran"
