"""Readers during a nightly run (issue #5): a reader process queries the published database
in a loop while a whole night loads and publishes. It must never hit a lock and every answer
must be the night before or the night after, never a mix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, date
from pathlib import Path

import pytest
from reader_loop import answer

from pipeline.config import Settings
from pipeline.demo.runner import write_demo_raw
from pipeline.demo.synthetic import load_scenario

NIGHT_BEFORE, NIGHT = date(2025, 11, 25), date(2025, 11, 26)
READER = Path(__file__).with_name("reader_loop.py")


def fdp_run(day: date, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run", "--replay", "--date", day.isoformat()],
        env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "fdp"
    monkeypatch.setenv("FDP_HOME", str(home))
    write_demo_raw(Settings.from_env(), load_scenario(), NIGHT_BEFORE, NIGHT)
    return home


def fingerprint(database: Path) -> list[str]:
    return answer(str(database))


def write_window(database: Path, night: date) -> tuple[float, float]:
    """When the night's load began and its publish ended (epoch seconds, UTC)."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        [(began,)] = con.execute(
            "SELECT min(started_at) FROM load_log WHERE run_id LIKE ?",
            [f"cli__{night.isoformat()}__%"]).fetchall()
    return began.replace(tzinfo=UTC).timestamp(), database.stat().st_mtime


def test_a_reader_in_a_loop_sees_the_night_before_or_after_never_a_lock(home, tmp_path):
    env = {**os.environ, "FDP_HOME": str(home)}
    published = Settings.from_env().published_path
    fdp_run(NIGHT_BEFORE, env)
    before = fingerprint(published)

    out, stop = tmp_path / "answers.jsonl", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, str(READER), str(published), str(out), str(stop)])
    try:
        time.sleep(1.0)  # the reader is reading the night before when the run starts
        fdp_run(NIGHT, env)
        time.sleep(1.0)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    after = fingerprint(published)
    records = [json.loads(line) for line in out.read_text().splitlines()]

    assert before != after  # the night changed what readers see
    assert [r["error"] for r in records if "error" in r] == []
    answers = [r["answer"] for r in records]
    assert all(a in (before, after) for a in answers)
    assert answers[0] == before and answers[-1] == after
    # the reader really ran while the night loaded and published, not only around it
    began, published_at = write_window(published, NIGHT)
    during = [r for r in records if r["ended"] > began and r["began"] < published_at]
    assert during, f"no answer overlapped the write window; {len(records)} answers in all"
