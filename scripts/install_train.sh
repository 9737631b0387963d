#!/usr/bin/env bash
# The trainer venv for tests/trainers (`make test-trainers`, the `trainers` step of .ci/run).
#
#   scripts/install_train.sh [VENV]      # default VENV: .venv-train
#
# Same hash-locked, --no-deps install as scripts/install.sh, from requirements/train.lock (the dev
# lock + TRL, transformers, accelerate and CPU torch), then `pip check`, then OpenRLHF from
# requirements/openrlhf.lock without its dependencies (requirements/openrlhf.in says why), then
# this checkout (editable) and the supply-chain check. torch's CPU wheel is not on PyPI: it is
# taken from $TORCH_CPU_WHEELS (a folder holding the wheel; default /opt/wheels when present)
# or from the PyTorch CPU index. Its sha256 is in the lock either way.
set -euo pipefail

REPO="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$REPO"

VENV="${1:-.venv-train}"
wheels="${TORCH_CPU_WHEELS:-}"
[[ -z $wheels && -d /opt/wheels ]] && wheels=/opt/wheels
if [[ -n $wheels ]]; then
  export PIP_FIND_LINKS="$wheels"
else
  export PIP_EXTRA_INDEX_URL="https://download.pytorch.org/whl/cpu"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

LOCK=requirements/train.lock scripts/install.sh "$VENV" venv deps check
"$VENV/bin/python" -m pip install -q --progress-bar off --no-deps --require-hashes \
  --only-binary :all: -r requirements/openrlhf.lock 2>&1 \
  | { grep -v "^WARNING: Location 'file:///" || true; }
scripts/install.sh "$VENV" project verify
