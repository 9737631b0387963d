#!/usr/bin/env bash
# What a new user does, checked in CI: clone this repository into an empty temporary folder and run
# the README's quick start there (`make quickstart`: install, run on the simulator, export), then
# one test file through `make test`. A broken install or quick start fails here before a user sees it.
#
#   scripts/fresh_clone.sh            # clones HEAD of this checkout (committed work only)
#   KEEP=1 scripts/fresh_clone.sh     # keep the clone and print where it is
set -euo pipefail

# A new user's shell: no venv of ours (CI exports VENV, which make would honour).
unset VENV CI_VENV VIRTUAL_ENV
REPO="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/sparring-clone.XXXXXX")"
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$TMP"' EXIT

git clone --quiet --no-hardlinks "$REPO" "$TMP/sparring"
cd "$TMP/sparring"
[[ -z $(git -C "$REPO" status --porcelain --untracked-files=no) ]] \
  || echo "fresh-clone: note: uncommitted changes in $REPO are not in the clone" >&2

make quickstart VENV=.venv
export_dir=runs/quickstart/export/trl-dpo
[[ -d $export_dir ]] || { echo "fresh-clone: make quickstart wrote no $export_dir" >&2; exit 1; }
make test VENV=.venv PYTEST_ARGS="-q -p no:cacheprovider tests/test_cli.py"
[[ -x .venv/bin/sparring ]] || { echo "fresh-clone: no .venv in the clone" >&2; exit 1; }
echo "fresh-clone: ok ($TMP/sparring)"
