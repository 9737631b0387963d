"""Supply-chain check for a virtualenv's site-packages (run by `.ci/run`).

Why: litellm 1.82.7/1.82.8 were malicious releases; 1.82.8 shipped `litellm_init.pth`, a
credential stealer that runs at *every* Python start (research/ecosystem.md §10). A `.pth`
line starting with `import` is executed by `site` at interpreter start-up, so any `.pth`
we don't expect is treated as an incident.

What it checks, failing (exit 1) with a message naming the culprit:

1. Every `*.pth` file directly in a site-packages directory is on ALLOWED_PTH, is owned
   by the expected distribution (listed in its RECORD) and matches its RECORD hash.
   The sparring editable `.pth` must hold only the path of this checkout's `src/`
   (no executable `import` lines). Also: no `sitecustomize.py` / `usercustomize.py`.
2. Every installed distribution's files match their RECORD sha256 hashes (missing
   files count as mismatches). KEY_PACKAGES must be installed, and the versions pinned
   in requirements/pins.txt must be the installed ones.

Run it with the venv's interpreter and `-I -S`, so that no `.pth` file runs during the
check itself:  `VENV/bin/python -I -S scripts/check_pth.py`
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.metadata as md
import re
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# name -> distribution that must own it (per its RECORD), and why it is there.
ALLOWED_PTH: dict[str, tuple[str, str]] = {
    "distutils-precedence.pth": (
        "setuptools",
        "setuptools' distutils shim; Python 3.11's `venv` seeds setuptools into every venv",
    ),
    "_editable_impl_sparring.pth": (
        "sparring",
        "hatchling editable install of this project (via `editables`): a path line for src/",
    ),
}
# Files `site` would also run at start-up; nothing we install should ship them.
FORBIDDEN_STARTUP_FILES = ("sitecustomize.py", "usercustomize.py")

KEY_PACKAGES = (
    "litellm",
    "langgraph",
    "langgraph-checkpoint",
    "langgraph-checkpoint-sqlite",
    "langchain-core",
    "openai",
)
PINS_FILE = REPO / "requirements" / "pins.txt"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def site_dirs() -> list[Path]:
    """The site-packages directories of the running venv.

    Under `python -S` on 3.11, `sys.prefix` is still the base interpreter's (`site` is what
    reads pyvenv.cfg), so locate the venv from `sys.executable` (VENV/bin/python).
    """
    venv = Path(sys.executable).parent.parent
    if not (venv / "pyvenv.cfg").is_file():
        sys.exit(f"check_pth: {sys.executable} is not a virtualenv's interpreter")
    paths = sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})
    seen: list[Path] = []
    for key in ("purelib", "platlib"):
        p = Path(paths[key]).resolve()
        if p.is_dir() and p not in seen:
            seen.append(p)
    return seen


def b64_digest(path: Path, mode: str) -> str:
    """Digest of a file in RECORD's format (urlsafe base64, no padding)."""
    h = hashlib.new(mode)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode()


def dist_id(dist: md.Distribution | None) -> str:
    """`name==version`, or a placeholder for files no distribution owns."""
    return f"{dist.metadata['Name']}=={dist.version}" if dist else "no distribution"


@dataclass
class DistReport:
    """Result of checking one distribution's files against its RECORD."""

    name: str
    version: str
    ok: int = 0
    unhashed: int = 0
    bad: list[str] = field(default_factory=list)


def verify_record(dist: md.Distribution) -> DistReport:
    """Hash every file a distribution's RECORD lists; missing files count as bad."""
    rep = DistReport(dist.metadata["Name"], dist.version)
    for f in dist.files or []:
        if not f.hash:
            rep.unhashed += 1  # RECORD itself and the .pyc files pip compiles
            continue
        try:
            digest = b64_digest(Path(str(dist.locate_file(f))), f.hash.mode)
        except FileNotFoundError:
            rep.bad.append(f"{f} (missing)")
            continue
        if digest == f.hash.value:
            rep.ok += 1
        else:
            rep.bad.append(f"{f} (sha256 mismatch)")
    return rep


def read_pins() -> dict[str, str]:
    """Exact `name==version` lines of requirements/pins.txt, by normalised name."""
    pins: dict[str, str] = {}
    if not PINS_FILE.is_file():
        return pins
    for raw in PINS_FILE.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if "==" in line:
            name, ver = line.split("==", 1)
            pins[_norm(name)] = ver.strip()
    return pins


def check_editable_pth(path: Path) -> list[str]:
    """The sparring editable .pth may only add this checkout's src/ to sys.path."""
    errors = []
    lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]
    expected = str((REPO / "src").resolve())
    for ln in lines:
        if ln.startswith(("import ", "import\t")):
            errors.append(f"{path.name}: executable line {ln!r} (expected only {expected})")
        elif str(Path(ln).resolve()) != expected:
            errors.append(f"{path.name}: points at {ln!r}, expected {expected}")
    if not lines:
        errors.append(f"{path.name}: empty (expected the path {expected})")
    return errors


Owners = dict[Path, tuple[md.Distribution, md.PackagePath]]


def record_owners(dists: list[md.Distribution]) -> Owners:
    """Map each installed file to the distribution (and RECORD entry) that lists it."""
    owners: Owners = {}
    for d in dists:
        for f in d.files or []:
            owners[Path(str(d.locate_file(f))).resolve()] = (d, f)
    return owners


def check_one_pth(pth: Path, owners: Owners) -> list[str]:
    """Errors for one .pth file: not allowed, wrong owner, or altered since install."""
    owner, entry = owners.get(pth.resolve(), (None, None))
    if pth.name not in ALLOWED_PTH:
        return [
            f"UNEXPECTED .pth file {pth} (owned by {dist_id(owner)}). .pth files run at every "
            "Python start; see research/ecosystem.md §10 (litellm 1.82.8 stealer). "
            "Inspect it; if legitimate, add it to ALLOWED_PTH in scripts/check_pth.py."
        ]
    errors = []
    want_owner, _why = ALLOWED_PTH[pth.name]
    if owner is None or entry is None or _norm(owner.metadata["Name"]) != _norm(want_owner):
        errors.append(f"{pth}: expected to be installed by {want_owner}, not {dist_id(owner)}")
    elif entry.hash is None:
        errors.append(f"{pth}: no hash for it in {dist_id(owner)}'s RECORD")
    elif b64_digest(pth, entry.hash.mode) != entry.hash.value:
        errors.append(f"{pth}: content differs from {dist_id(owner)}'s RECORD hash")
    if pth.name == "_editable_impl_sparring.pth":
        errors.extend(check_editable_pth(pth))
    return errors


def check_startup_files(dirs: list[Path], owners: Owners) -> tuple[list[str], list[str]]:
    """Check every .pth and start-up hook in site-packages; return (errors, .pth names)."""
    errors: list[str] = []
    found: list[str] = []
    for sp in dirs:
        for name in FORBIDDEN_STARTUP_FILES:
            if (sp / name).exists():
                errors.append(f"{sp / name}: start-up hook present (runs at every Python start)")
        for pth in sorted(sp.glob("*.pth")):
            found.append(pth.name)
            errors.extend(check_one_pth(pth, owners))
    return errors, found


def check_versions(by_name: dict[str, md.Distribution]) -> list[str]:
    """KEY_PACKAGES are installed and requirements/pins.txt versions are the installed ones."""
    errors = [f"key package {k} is not installed" for k in KEY_PACKAGES if _norm(k) not in by_name]
    for name, want in read_pins().items():
        d = by_name.get(name)
        if d is None:
            errors.append(f"pinned package {name}=={want} is not installed")
        elif d.version != want:
            errors.append(f"{name}: installed {d.version}, requirements/pins.txt says {want}")
    return errors


def check_records(by_name: dict[str, md.Distribution], key_only: bool) -> list[str]:
    """RECORD hashes of every distribution (or only KEY_PACKAGES); print a summary."""
    errors: list[str] = []
    keys = {_norm(k) for k in KEY_PACKAGES}
    to_check = [d for n, d in sorted(by_name.items()) if not key_only or n in keys]
    total_ok = total_un = 0
    for d in to_check:
        rep = verify_record(d)
        total_ok += rep.ok
        total_un += rep.unhashed
        if _norm(rep.name) in keys or rep.bad:
            print(
                f"  {rep.name}=={rep.version}: {rep.ok} files match RECORD, "
                f"{len(rep.bad)} mismatched, {rep.unhashed} unhashed"
            )
        errors.extend(f"{rep.name}=={rep.version}: RECORD check failed: {b}" for b in rep.bad[:20])
        if len(rep.bad) > 20:
            errors.append(f"{rep.name}: ... and {len(rep.bad) - 20} more RECORD failures")
    print(
        f"RECORD: {len(to_check)} distributions, {total_ok} files verified, "
        f"{total_un} unhashed entries (RECORD, .pyc)"
    )
    return errors


def main() -> int:
    """Run every check; print what failed and return the exit status."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument(
        "--require-editable",
        action="store_true",
        help="fail unless sparring is installed editable from this checkout",
    )
    ap.add_argument(
        "--key-only",
        action="store_true",
        help="hash-check only KEY_PACKAGES (default: every installed distribution)",
    )
    args = ap.parse_args()

    dirs = site_dirs()
    print(f"site-packages: {', '.join(map(str, dirs))}")
    dists = list(md.distributions(path=[str(d) for d in dirs]))
    by_name = {_norm(d.metadata["Name"]): d for d in dists}

    errors, found_pth = check_startup_files(dirs, record_owners(dists))
    print(f".pth files: {found_pth or 'none'}")
    if args.require_editable and "_editable_impl_sparring.pth" not in found_pth:
        errors.append("sparring is not installed editable (no _editable_impl_sparring.pth)")
    errors += check_versions(by_name)
    errors += check_records(by_name, args.key_only)

    if errors:
        print("\nSUPPLY-CHAIN CHECK FAILED:", file=sys.stderr)
        for e in errors:
            print(f"  - {e}", file=sys.stderr)
        return 1
    print("supply-chain check: OK")
    return 0


if __name__ == "__main__":
    if not sys.flags.no_site:
        # Without -S, `site` has already executed every .pth before this line.
        print("note: run with `python -I -S` so no .pth executes during the check", file=sys.stderr)
    sys.exit(main())
