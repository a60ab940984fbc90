"""`fdp sql` stopped for real: a process running a query that would take hours gets SIGINT
(Ctrl-C) or reaches its --timeout, and must exit promptly with a one-line message."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import Settings

pytestmark = pytest.mark.slow  # see `make test-fast`

FDP = Path(sys.executable).with_name("fdp")
SLOW_QUERY = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"
CLK_TCK = os.sysconf("SC_CLK_TCK")


@pytest.fixture
def published(fdp_env) -> Path:
    assert main(["publish"]) == 0  # an empty database, migrated and published
    return Settings.from_env().published_path


def start_query(published: Path, *options: str) -> subprocess.Popen:
    """`fdp sql SLOW_QUERY` in its own process, returned once the query is running: the
    process has the published file open and is burning CPU."""
    process = subprocess.Popen([str(FDP), "sql", SLOW_QUERY, *options], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    give_up = time.monotonic() + 60
    while not _has_open(process.pid, published):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < give_up, "fdp sql never opened the published database"
        time.sleep(0.02)
    opened_at = _cpu_seconds(process.pid)
    while _cpu_seconds(process.pid) - opened_at < 0.3:  # DuckDB is working on the join
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < give_up, "the query never started"
        time.sleep(0.02)
    return process


def _has_open(pid: int, path: Path) -> bool:
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd) == str(path) for fd in fds.iterdir())
    except FileNotFoundError:  # an fd closed while we looked
        return False


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def test_ctrl_c_stops_a_running_query_at_once(published):
    process = start_query(published)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    stopped_in = time.monotonic() - sent
    print(f"fdp sql exited {stopped_in:.3f} s after SIGINT")
    assert process.returncode == 130, err
    assert err == "fdp sql: interrupted (Ctrl-C); the query was stopped\n"
    assert out == ""
    assert stopped_in < 1.5


def test_timeout_stops_a_running_query_and_exits_1(published):
    started = time.monotonic()
    process = start_query(published, "--timeout", "2")
    out, err = process.communicate(timeout=60)
    print(f"fdp sql --timeout 2 exited after {time.monotonic() - started:.2f} s in all")
    assert process.returncode == 1
    assert err == ("fdp sql: error: the query ran for 2 s, its time limit, and was stopped. "
                   "Fix: give it longer with --timeout SECONDS, e.g. --timeout 20, or --timeout "
                   "0 for no limit\n")
    assert out == ""
