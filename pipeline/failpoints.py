"""Failpoints: named places where a test can make the process die as a SIGKILL would, to prove
that a run killed at that stage leaves nothing half-done. Inert unless FDP_FAILPOINT names the
place (tests set it for a subprocess; nothing else does)."""

from __future__ import annotations

import os
import signal

STAGES = ("fetch", "normalize", "load", "publish")


def hit(stage: str) -> None:
    if os.environ.get("FDP_FAILPOINT") == stage:
        os.kill(os.getpid(), signal.SIGKILL)
