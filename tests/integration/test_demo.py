"""`fdp demo` (the README's first command) through Airflow: twice gives identical tables,
and every replayed response says it is synthetic."""

from __future__ import annotations

import json
from datetime import date

import duckdb
from conftest import table_checksum

from pipeline.config import Settings
from pipeline.demo.runner import run_demo

START, END = date(2025, 11, 21), date(2025, 11, 23)


def test_demo_twice_changes_no_table_contents(fdp_env, airflow_metadata, capsys):
    settings = Settings.from_env()
    assert run_demo(settings, start=START, end=END) == 0
    out = capsys.readouterr().out
    assert "3 nights in" in out and "Last day each airline flew" in out

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        first = {t: table_checksum(con, t) for t in ("flights", "schema_migrations")}
        [(partitions,)] = con.execute("SELECT count(*) FROM load_log WHERE status = 'loaded'"
                                      ).fetchall()
        # IBE's last flights were on 22 Nov; on the 23rd only its overnight arrival remains
        ibe_days = con.execute("SELECT DISTINCT flight_date FROM flights "
                               "WHERE carrier_icao = 'IBE' ORDER BY 1").fetchall()
    assert partitions == 15  # 3 nights x 5 watched airports
    assert [d for (d,) in ibe_days] == [date(2025, 11, 21), date(2025, 11, 22)]

    manifests = sorted(settings.raw_dir.rglob("manifest.jsonl"))
    lines_before = sum(len(p.read_text().splitlines()) for p in manifests)
    assert run_demo(settings, start=START, end=END) == 0

    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert {t: table_checksum(con, t) for t in first} == first
    lines = [json.loads(line) for p in manifests for line in p.read_text().splitlines()]
    responses = [line for line in lines if line["request"] != "complete"]
    assert len(lines) == lines_before == 45  # 15 partitions x (2 responses + complete), once
    assert len(responses) == 30
    assert all(line["synthetic"] is True for line in lines)
    assert all("SYNTHETIC" in line["note"] for line in responses)


def test_demo_refuses_nights_outside_the_replay(fdp_env, capsys):
    from pipeline.cli import main

    assert main(["demo", "--start", "2025-10-01", "--end", "2025-10-02"]) == 1
    assert "the replay covers 2025-11-10 to 2025-12-05" in capsys.readouterr().err
