"""The `fdp` command line: help, run, backfill, sql, status, and the errors users will hit."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from fake_opensky import FakeOpenSky

from pipeline import cli
from pipeline.cli import build_parser, main
from pipeline.config import DEFAULT_REGISTRY, Settings
from pipeline.demo.runner import write_demo_raw
from pipeline.demo.synthetic import load_scenario

COMMANDS = ("run", "backfill", "sql", "status", "demo", "rebuild", "import", "publish", "report")
# What a command imports when it runs; `fdp --help` and `fdp COMMAND --help` need none of it.
HEAVY_MODULES = ("pandas", "numpy", "duckdb", "pyarrow", "pandera", "tqdm", "airflow",
                 "matplotlib", "requests", "babel")
# A query that would run for hours: 10^12 rows of a cross join.
SLOW_QUERY = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"


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
    assert len(sky.token_requests) == 1  # one token for all 14 calls of the night
    assert len(sky.api_requests) == 14  # 7 airports, arrivals and departures
    assert capsys.readouterr().out.count(" 0 rows loaded") == 7  # every day 404: no flights


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
    out, err = capsys.readouterr()
    # progress on stderr: the rows read, by file, then the load
    assert "import On_Time_Reporting" in err and "rows" in err
    assert "loading 1 partition(s)" in err
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


def test_an_import_and_a_rebuild_of_many_days_show_the_derives_progress(fdp_env, tmp_path,
                                                                         capsys):
    """Flights over 40 days are derived in two chunks of days; each chunk says so on stderr
    (a real year's import or rebuild derives for minutes)."""
    from conftest import FIXTURES

    header, row = (FIXTURES / "flightlists" / (
        "On_Time_Reporting_Carrier_On_Time_Performance_(1987_present)_2024_3.csv")
    ).read_text().splitlines()[:2]
    # SYNTHETIC: the fixture's first real row, flown on each of 40 days
    days = [date(2024, 3, 1) + timedelta(days=n) for n in range(40)]
    bts = tmp_path / "synthetic_bts_40_days.csv"
    bts.write_text("\n".join([header, *(row.replace("2024-03-09", str(d)) for d in days)]))
    assert main(["import", str(bts), "--format", "bts-ontime"]) == 0
    err = capsys.readouterr().err
    assert "deriving days 2024-03-01 to 2024-03-28 (1 of 2)" in err
    assert "deriving days 2024-03-29 to 2024-04-09 (2 of 2)" in err
    assert main(["rebuild"]) == 0
    assert "deriving days 2024-03-29 to 2024-04-09 (2 of 2)" in capsys.readouterr().err


def test_sql_before_any_night_says_how_to_get_one(fdp_env, capsys):
    assert main(["sql", "select 1"]) == 1
    err = capsys.readouterr().err
    assert "nothing is published" in err and "fdp run --date" in err
    assert main(["publish"]) == 0  # an empty database is published as it is
    assert main(["sql", "select count(*) as n from flights", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == ["n", "0"]


def test_help_imports_nothing_heavy():
    code = (
        "import contextlib, io, json, sys\n"
        "from pipeline.cli import main\n"
        f"for argv in [['--help'], *([name, '--help'] for name in {COMMANDS!r})]:\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        main(argv)\n"
        f"print(json.dumps(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules)))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert json.loads(loaded) == []


def test_import_formats_in_help_are_the_importers():
    from pipeline.flightlists.importer import FORMATS

    assert tuple(sorted(FORMATS)) == cli.IMPORT_FORMATS


@pytest.fixture
def published(fdp_env, capsys) -> Settings:
    """An empty database, migrated and published: `fdp sql` has a real file to read."""
    assert main(["publish"]) == 0
    capsys.readouterr()
    return Settings.from_env()


TYPED_NULLS = (
    "SELECT NULL::DATE AS d, NULL::TIMESTAMP AS ts, NULL::INTEGER AS i, NULL::DOUBLE AS x, "
    "NULL::VARCHAR AS s, NULL::BOOLEAN AS b, DATE '2025-11-21' AS day, "
    "TIMESTAMP '2025-11-21 17:43:00' AS at, 1.50::DECIMAL(10, 2) AS price, "
    "170141183460469231731687303715884105727::HUGEINT AS big, 0.5 AS half, 'Iberia' AS name "
    "UNION ALL SELECT DATE '2025-11-22', NULL, 7, NULL, 'x', true, NULL, NULL, NULL, NULL, "
    "NULL, NULL"
)


def test_sql_prints_null_as_null_whatever_the_type(published, capsys):
    assert main(["sql", TYPED_NULLS]) == 0
    header, rule, first, second = capsys.readouterr().out.splitlines()
    spans = [match.span() for match in re.finditer("-+", rule)]  # one run of dashes a column

    def cells(line: str) -> list[str]:
        assert all(line[end:start].strip() == "" for (_, end), (start, _) in
                   itertools.pairwise(spans))  # nothing between the columns
        return [line[start:end].strip() for start, end in spans]

    assert cells(header) == ["d", "ts", "i", "x", "s", "b", "day", "at", "price", "big", "half",
                             "name"]
    assert cells(first) == ["NULL"] * 6 + [
        "2025-11-21", "2025-11-21 17:43:00", "1.50", "170141183460469231731687303715884105727",
        "0.5", "Iberia"]
    assert cells(second) == ["2025-11-22", "NULL", "7", "NULL", "x", "true"] + ["NULL"] * 6
    assert second[spans[2][1] - 1] == "7"  # numbers to the right
    assert first[spans[-1][0]] == "I"  # text to the left


def test_sql_csv_leaves_null_empty(published, capsys):
    assert main(["sql", TYPED_NULLS, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        ",,,,,,2025-11-21,2025-11-21 17:43:00,1.50,170141183460469231731687303715884105727,0.5,"
        "Iberia",
        "2025-11-22,,7,,x,true,,,,,,",
    ]


def test_sql_json_writes_null_iso_dates_and_exact_numbers(published, capsys):
    assert main(["sql", TYPED_NULLS, "--format", "json"]) == 0
    out = capsys.readouterr().out
    first, second = json.loads(out)
    assert first == {"d": None, "ts": None, "i": None, "x": None, "s": None, "b": None,
                     "day": "2025-11-21", "at": "2025-11-21T17:43:00", "price": 1.5,
                     "big": 170141183460469231731687303715884105727, "half": 0.5,
                     "name": "Iberia"}
    assert second["d"] == "2025-11-22" and second["i"] == 7 and second["b"] is True
    assert '"price": 1.50' in out  # the DECIMAL's digits as they are, not a float's


def test_sql_timeout_stops_a_slow_query_and_says_how_to_allow_more(published, capsys):
    started = time.monotonic()
    assert main(["sql", SLOW_QUERY, "--timeout", "0.5"]) == 1
    elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < 2.5
    err = capsys.readouterr().err
    assert err == ("fdp sql: error: the query ran for 0.5 s, its time limit, and was stopped. "
                   "Fix: give it longer with --timeout SECONDS, e.g. --timeout 5, or --timeout 0 "
                   "for no limit\n")
    assert main(["sql", "SELECT 42 AS answer", "--timeout", "0.5", "--format", "csv"]) == 0
    assert capsys.readouterr().out == "answer\n42\n"  # the connection is usable after it


def test_sql_timeout_must_be_seconds(capsys):
    for bad in ("-1", "soon", "inf"):
        with pytest.raises(SystemExit) as usage:
            build_parser().parse_args(["sql", "select 1", "--timeout", bad])
        assert usage.value.code == 2
        assert "not a number of seconds (0 or more)" in capsys.readouterr().err


def test_plain_http_token_url_is_one_line_naming_the_setting(httpserver, fdp_env, monkeypatch,
                                                              capsys):
    sky = FakeOpenSky(httpserver)
    for key, value in sky.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT")
    assert main(["run", "--date", "2025-11-20", "--sources", "opensky"]) == 1
    err = capsys.readouterr().err
    assert "is plain HTTP; OAuth2 client credentials are only sent over https. Fix: set " \
           "FDP_OPENSKY_AUTH_URL to an https:// URL" in err
    assert sky.token_requests == []


def test_sql_piped_into_head_stops_quietly(published):
    fdp = Path(sys.executable).with_name("fdp")
    process = subprocess.Popen([str(fdp), "sql", "SELECT range AS n FROM range(1000000)"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().split() == ["n"]
    process.stdout.close()  # as `head -1` does
    assert process.wait(timeout=60) == 141
    assert process.stderr.read() == ""


def test_run_says_what_to_know_about_a_night_that_loaded(fdp_env, monkeypatch, tmp_path, capsys):
    """A registry edit with problems does not stop the night; the output says why the last
    good copy was used, and how to fix it."""
    registry = tmp_path / "permit_actions.csv"
    registry.write_bytes(DEFAULT_REGISTRY.read_bytes())
    monkeypatch.setenv("FDP_REGISTRY", str(registry))
    assert main(["run", "--date", "2025-11-20", "--sources", "permit_registry"]) == 0
    registry.write_text(registry.read_text(encoding="utf-8").replace(
        "2025-11-26,,2025-11-26", "2025-11-26,2025-11-01,2025-11-26", 1), encoding="utf-8")
    capsys.readouterr()
    assert main(["run", "--date", "2025-11-20", "--replay", "--sources", "permit_registry"]) == 0
    out = capsys.readouterr().out
    assert "2025-11-20 permit_registry registry:" in out
    assert "column end_date: 2025-11-01 is before effective_date 2025-11-26" in out
    assert "Fix: correct those rows, then rerun the night" in out
