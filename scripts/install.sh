#!/usr/bin/env bash
# The one install of this project: the Makefile, .ci/run and the README all use it.
#
#   scripts/install.sh [VENV]            # every phase below, in order (default VENV: .venv)
#   scripts/install.sh VENV PHASE...     # only those phases (CI times them one by one)
#
# Phases:
#   venv     create VENV with $PYTHON (default python3; needs >= 3.11), unless it exists
#   deps     every distribution from requirements/dev.lock (or $LOCK): wheels only, sha256-checked,
#            --no-deps (why: below)
#   check    `pip check`: fails when the lock misses a requirement that --no-deps did not pull
#   project  this checkout, editable, with the build backend from the lock (no unhashed download)
#   verify   scripts/check_pth.py: .pth allow-list, RECORD hashes, pinned versions, editable path
#
# Why --no-deps: pip 23 turns an extra such as litellm's `httpx[http2]` into a second, unpinned
# requirement, so `--require-hashes` fails the day the index gains a newer httpx (issue 9). The
# lock already lists every transitive package with its hash, so pip has nothing left to resolve;
# `pip check` then proves the lock is complete. This works with any pip >= 23 and needs no
# bootstrap of a newer pip or uv.
set -euo pipefail

REPO="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$REPO"

VENV="${1:-.venv}"
[[ $# -gt 0 ]] && shift
PHASES=("$@")
[[ ${#PHASES[@]} -eq 0 ]] && PHASES=(venv deps check project verify)
PYTHON="${PYTHON:-python3}"
LOCK="${LOCK:-requirements/dev.lock}"
PY="$VENV/bin/python"

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

# pip, minus one machine kind's harmless "Location 'file:///...' is ignored" noise from its global
# pip.conf; pipefail keeps pip's exit status.
pip_q() {
  "$PY" -m pip "$@" 2>&1 | { grep -v "^WARNING: Location 'file:///" || true; }
}

phase_venv() {
  "$PYTHON" -c 'import sys; assert sys.version_info[:2] >= (3, 11), sys.version' 2>/dev/null || {
    echo "install: need Python >= 3.11 (PYTHON=$PYTHON is $("$PYTHON" -V 2>&1))" >&2; return 1; }
  [[ -x $PY ]] || "$PYTHON" -m venv "$VENV"
}

phase_deps() {
  pip_q install -q --progress-bar off --no-deps --require-hashes --only-binary :all: -r "$LOCK"
}

phase_check() {
  "$PY" -m pip check || {
    echo "install: $LOCK is incomplete or inconsistent (above); regenerate it: requirements/compile.sh" >&2
    return 1; }
}

phase_project() {
  pip_q install -q --progress-bar off --no-deps --no-build-isolation -e .
}

phase_verify() {
  # -I -S: no .pth file runs during the check itself.
  "$PY" -I -S scripts/check_pth.py --require-editable
}

for phase in "${PHASES[@]}"; do
  case $phase in
    venv|deps|check|project|verify) "phase_$phase" ;;
    *) echo "install: unknown phase '$phase' (venv, deps, check, project, verify)" >&2; exit 2 ;;
  esac
done
