"""Killed runs (SIGKILL at fetch, normalize and load), concurrent writers, and ad hoc SQL
that must not change anything. The runs are real `fdp` processes against a local server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import FAULT_OUTCOMES, SECRET_MARK, table_checksum
from fault_server import FaultServer

from pipeline import store
from pipeline.config import Settings

DAY = "2025-11-20"
FDP = [sys.executable, "-m", "pipeline.cli"]


@pytest.fixture
def server(httpserver) -> FaultServer:
    return FaultServer(httpserver)


def fdp(home: Path, server: FaultServer, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **server.env(), "FDP_HOME": str(home),
                   "OPENSKY_CLIENT_ID": "client", "OPENSKY_CLIENT_SECRET": "killed-run-s3cret",
                   "FDP_HTTP_BACKOFF": "0.01", **env}
    environment.pop("FDP_WATCHLIST", None)
    done = subprocess.run([*FDP, *args], env=environment, capture_output=True, text=True,
                          timeout=300, check=False)
    assert SECRET_MARK not in done.stdout + done.stderr
    return done


def night(home: Path, server: FaultServer, **env: str) -> subprocess.CompletedProcess:
    return fdp(home, server, "run", "--date", DAY, "--sources", "opensky,permit_registry", **env)


def contents(home: Path, database: Path | None = None) -> dict[str, str]:
    """Table contents without the lineage columns (which name the run and its fetch time)."""
    tables = {"flights": "(SELECT * EXCLUDE (run_id, loaded_at, fetched_at) FROM flights)",
              "permit_actions": "(SELECT * EXCLUDE (run_id, loaded_at) FROM permit_actions)",
              "carrier_status": "carrier_status"}
    with duckdb.connect(str(database or home / "fdp.duckdb"), read_only=True) as con:
        return {name: table_checksum(con, query) for name, query in tables.items()}


@pytest.fixture
def reference(tmp_path, server) -> dict[str, str]:
    """What an uninterrupted night leaves."""
    done = night(tmp_path / "reference", server)
    assert done.returncode == 0, done.stderr
    return contents(tmp_path / "reference")


@pytest.mark.parametrize("stage", ["fetch", "normalize", "load", "publish"])
def test_a_run_killed_at_any_stage_is_completed_by_the_next(stage, tmp_path, server, reference):
    home = tmp_path / "killed"
    killed = night(home, server, FDP_FAILPOINT=stage)
    assert killed.returncode == -9, killed.stderr  # SIGKILL: no cleanup ran
    published = home / "published" / "fdp.duckdb"
    assert not published.exists()  # readers never see the killed night, whole or half
    if (home / "fdp.duckdb").exists() and stage != "publish":  # nothing half-loaded
        with store.connect(home / "fdp.duckdb", read_only=True) as con:
            assert con.execute("SELECT count(*) FROM flights").fetchall() == [(0,)]
    again = night(home, server)
    assert again.returncode == 0, again.stderr
    assert contents(home) == reference
    assert contents(home, published) == reference
    assert list(published.parent.glob(".*.tmp")) == []  # the killed publish's copy is gone
    FAULT_OUTCOMES.append(("opensky+registry", f"SIGKILL during {stage}",
                           "next run completed; tables equal an uninterrupted run", 0))


def test_a_second_writer_is_refused_with_a_clear_message(tmp_path, server, reference):
    home = tmp_path / "busy"
    assert night(home, server).returncode == 0
    holder = duckdb.connect(str(home / "fdp.duckdb"))  # another process's write lock
    try:
        refused = night(home, server)
    finally:
        holder.close()
    assert refused.returncode == 1
    assert "in use by another process that is writing it" in refused.stderr
    assert "wait for that run to finish" in refused.stderr
    assert night(home, server).returncode == 0
    assert contents(home) == reference
    FAULT_OUTCOMES.append(("duckdb", "second writer while a run holds the file",
                           "refused with a clear message; then loaded once", 0))


def test_two_runs_of_the_same_night_at_once_never_double_rows(tmp_path, server, reference):
    home = tmp_path / "race"
    environment = {**os.environ, **server.env(), "FDP_HOME": str(home),
                   "OPENSKY_CLIENT_ID": "client", "OPENSKY_CLIENT_SECRET": "race-s3cret"}
    command = [*FDP, "run", "--date", DAY, "--sources", "opensky,permit_registry"]
    runs = [subprocess.Popen(command, env=environment, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    assert not any(SECRET_MARK in err for _, err in results)
    for code, err in results:
        assert code == 0 or "in use by another process" in err, err
    assert any(code == 0 for code, _ in results)
    assert contents(home) == reference
    FAULT_OUTCOMES.append(("duckdb", "two runs of one night at once",
                           f"exit codes {[c for c, _ in results]}; no double rows", 0))


@pytest.mark.parametrize("statement", [
    "DROP TABLE flights",
    "INSERT INTO flights SELECT * FROM flights",
    "select 1; delete from flights",
    "ATTACH '{dir}/other.duckdb' AS other",
    "COPY (SELECT * FROM flights) TO '{dir}/leak.csv'",
    "SELECT * FROM read_csv('{dir}/../../etc/passwd')",
    "INSTALL httpfs",
])
def test_fdp_sql_cannot_change_anything(statement, tmp_path, server):
    home = tmp_path / "sql"
    assert night(home, server).returncode == 0
    before = contents(home)
    files_before = sorted(p.name for p in tmp_path.rglob("*"))
    refused = fdp(home, server, "sql", statement.format(dir=tmp_path))
    assert refused.returncode == 1, refused.stdout
    assert "query failed" in refused.stderr
    assert contents(home) == before
    assert sorted(p.name for p in tmp_path.rglob("*")) == files_before


def test_registry_text_is_data_never_sql(tmp_path, server, monkeypatch):
    registry = tmp_path / "registry.csv"
    original = Settings.from_env().registry_path.read_text(encoding="utf-8").splitlines()
    hostile = original[1].split(",", 1)[0] + "-x," + original[1].split(",", 1)[1]
    hostile = hostile.replace("Venezuelan airline", "x'); DROP TABLE flights; --")
    registry.write_text("\n".join([*original, hostile]) + "\n", encoding="utf-8")
    home = tmp_path / "hostile"
    done = night(home, server, FDP_REGISTRY=str(registry))
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(home / "fdp.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) > 0 FROM flights").fetchall() == [(True,)]
        assert con.execute("SELECT count(*) FROM permit_actions WHERE source_title LIKE "
                           "'%DROP TABLE flights%' OR scope LIKE '%DROP TABLE flights%'"
                           ).fetchall() == [(1,)]
