"""The `fdp` command line: help, run, backfill, sql, status, and the errors users will hit."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fake_opensky import FakeOpenSky

from pipeline.cli import build_parser, main
from pipeline.config import Settings
from pipeline.demo.runner import write_demo_raw
from pipeline.demo.synthetic import load_scenario

COMMANDS = ("run", "backfill", "sql", "status", "demo", "rebuild", "import", "publish")


@pytest.fixture
def replayed(fdp_env) -> Settings:
    """The demo's raw zone for 20-22 Nov 2025 (no network needed)."""
    settings = Settings.from_env()
    write_demo_raw(settings, load_scenario(), date(2025, 11, 20), date(2025, 11, 22))
    return settings


def test_every_command_explains_itself(capsys):
    with pytest.raises(SystemExit) as top:
        main(["--help"])
    assert top.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in (*COMMANDS, "FDP_HOME"))
    for name in COMMANDS:
        with pytest.raises(SystemExit) as sub:
            main([name, "--help"])
        assert sub.value.code == 0
        assert len(capsys.readouterr().out.splitlines()) > 3


def test_bad_arguments_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as bad_date:
        build_parser().parse_args(["run", "--date", "20-11-2025"])
    assert bad_date.value.code == 2
    assert "not a YYYY-MM-DD date" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--date", "2025-11-20", "--sources", "nope"])
    assert "unknown sources ['nope']" in capsys.readouterr().err


def test_run_replay_loads_and_reports(replayed, capsys):
    assert main(["run", "--date", "2025-11-20", "--replay"]) == 0
    out = capsys.readouterr().out
    assert "2025-11-20 opensky 2025-11-20/SVMI:" in out and "loaded" in out
    assert main(["sql", "select count(*) as n from flights", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["n"] > 0


def test_replay_without_raw_data_names_partition_and_fix(fdp_env, capsys):
    assert main(["run", "--date", "2025-11-20", "--replay", "--sources", "opensky"]) == 1
    err = capsys.readouterr().err
    assert "opensky 2025-11-20/SVBC: no complete raw fetch" in err
    assert "run without --replay" in err


def test_live_run_without_credentials_says_what_to_set(fdp_env, capsys):
    assert main(["run", "--date", "2025-11-20", "--sources", "opensky"]) == 1
    assert "OPENSKY_CLIENT_ID" in capsys.readouterr().err


def test_live_run_against_local_opensky(httpserver, fdp_env, monkeypatch, capsys):
    sky = FakeOpenSky(httpserver)
    for key, value in sky.env().items():
        monkeypatch.setenv(key, value)
    assert main(["run", "--date", "2025-11-20", "--sources", "opensky"]) == 0
    assert len(sky.token_requests) == 1  # one token for all ten calls of the night
    assert len(sky.api_requests) == 10
    assert capsys.readouterr().out.count(" 0 rows loaded") == 5  # every day 404: no flights


def test_backfill_is_resumable(replayed, capsys):
    assert main(["run", "--date", "2025-11-20", "--replay"]) == 0
    assert main(["backfill", "--start", "2025-11-20", "--end", "2025-11-22", "--replay"]) == 0
    out = capsys.readouterr().out
    assert "skipping 1 day(s) already loaded" in out and "2 day(s) run, 1 skipped" in out
    assert main(["backfill", "--start", "2025-11-20", "--end", "2025-11-22", "--replay",
                 "--force"]) == 0
    assert "3 day(s) run, 0 skipped" in capsys.readouterr().out


def test_rebuild_gives_what_the_nights_gave(replayed, capsys):
    main(["backfill", "--start", "2025-11-20", "--end", "2025-11-22", "--replay"])
    capsys.readouterr()
    main(["sql", "select * from route_daily order by all", "--format", "csv"])
    nightly = capsys.readouterr().out
    assert main(["rebuild"]) == 0
    assert "derived tables rebuilt" in capsys.readouterr().out
    main(["sql", "select * from route_daily order by all", "--format", "csv"])
    assert capsys.readouterr().out == nightly and nightly.count("\n") > 10


def test_backfill_rejects_an_inverted_range(fdp_env, capsys):
    assert main(["backfill", "--start", "2025-11-22", "--end", "2025-11-20"]) == 1
    assert "is before --start" in capsys.readouterr().err


def test_sql_formats_and_read_only(replayed, capsys):
    main(["run", "--date", "2025-11-20", "--replay"])
    capsys.readouterr()
    query = "select carrier_icao, count(*) as n from flights where carrier_icao = 'IBE' group by 1"
    assert main(["sql", query, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "carrier_icao,n"
    assert main(["sql", query]) == 0
    assert "IBE" in capsys.readouterr().out
    assert main(["sql", "delete from flights"]) == 1
    assert "read-only" in capsys.readouterr().err
    assert main(["sql", "select count(*) as n from flights", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["n"] > 0


def test_status_shows_partitions_and_freshness(replayed, capsys):
    assert main(["status"]) == 0
    assert "nothing loaded yet" in capsys.readouterr().out
    main(["run", "--date", "2025-11-20", "--replay"])
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "2025-11-20/SVMI" in out and "loaded" in out
    assert "newest flight day: 2025-11-20" in out and "failed partitions: 0" in out


def test_import_loads_flights_and_brings_routes_up_to_date(fdp_env, capsys):
    from conftest import FIXTURES

    bts = FIXTURES / "flightlists" / (
        "On_Time_Reporting_Carrier_On_Time_Performance_(1987_present)_2024_3.csv")
    assert main(["import", str(bts), "--format", "bts-ontime"]) == 0
    out = capsys.readouterr().out
    assert "4 bad rows:" in out and ".csv:10: unparseable FlightDate" in out
    assert "unresolved airports (kept, ICAO left empty): XQZ x1" in out
    main(["sql", "select (select count(*) from flights) as f, "
                 "(select sum(flights + cancelled) from route_daily) as r", "--format", "json"])
    first = json.loads(capsys.readouterr().out)[0]
    assert first["f"] == 9 and first["r"] >= 7  # routes need both airports resolved
    assert main(["import", str(bts), "--format", "bts-ontime", "--json"]) == 0  # again
    assert json.loads(capsys.readouterr().out)["rows_staged"] == 9
    main(["sql", "select count(*) as f from flights", "--format", "json"])
    assert json.loads(capsys.readouterr().out)[0]["f"] == 9  # replaced, not duplicated


def test_sql_before_any_night_says_how_to_get_one(fdp_env, capsys):
    assert main(["sql", "select 1"]) == 1
    err = capsys.readouterr().err
    assert "nothing is published" in err and "fdp run --date" in err
    assert main(["publish"]) == 0  # an empty database is published as it is
    assert main(["sql", "select count(*) as n from flights", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == ["n", "0"]
