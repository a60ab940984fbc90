"""Peak memory of a multi-week backfill, run as users run it: `fdp backfill --replay` in its
own process. The peak is the kernel's high-water mark of that process's resident set (VmHWM in
/proc/<pid>/status), read until it exits: a spike between two reads is not missed, because the
mark only rises. (getrusage(RUSAGE_CHILDREN) would count the bench's own pages, copied into the
child by fork before it executes fdp.)"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from time import perf_counter, sleep

FDP = Path(sys.executable).with_name("fdp")
POLL_S = 0.1


def backfill_peak_rss(start: date, end: date, env: dict[str, str]) -> tuple[int, float]:
    """Run the backfill; returns (peak RSS in bytes, wall seconds). Fails if the backfill does."""
    command = [str(FDP), "backfill", "--replay", "--sources", "opensky",
               "--start", start.isoformat(), "--end", end.isoformat()]
    began = perf_counter()
    peak = 0
    with subprocess.Popen(command, env={**os.environ, **env},
                          stdout=subprocess.DEVNULL) as process:
        status = Path(f"/proc/{process.pid}/status")
        while process.poll() is None:
            peak = max(peak, _high_water_mark(status))
            sleep(POLL_S)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return peak, perf_counter() - began


def _high_water_mark(status: Path) -> int:
    try:
        lines = status.read_text(encoding="ascii").splitlines()
    except OSError:  # the process has just exited
        return 0
    return next((int(line.split()[1]) * 1024 for line in lines if line.startswith("VmHWM:")), 0)
