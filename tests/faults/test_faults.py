"""Fault injection, source by source: every fault ends either retried and loaded (the same rows
as a healthy night) or failed with an error naming source, partition and cause; in both cases
the database holds no partial or duplicated partition. Each outcome goes into the summary
table printed at the end of the run (tests/conftest.py). A case is a source, or `opensky_world`:
the source opensky with the watchlist's `scope = "world"` (/flights/all in 2-hour windows)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import FAULT_OUTCOMES, table_checksum
from fault_server import (
    Answer,
    FaultServer,
    cut_mid_body,
    drifted,
    html_error_page,
    stall,
    status,
    truncated_json,
)

from pipeline import nightly, store
from pipeline.config import Credentials, Settings
from pipeline.errors import SourceError

SECRET = "fault-suite-s3cret-never-shown"
WORLD = "opensky_world"  # the case of OpenSky in world mode
SOURCE_OF = {WORLD: "opensky"}  # a case's source, when it is not the case's name
DAYS = {"opensky": date(2025, 11, 20), WORLD: date(2025, 11, 20),
        "faa_notam": date(2025, 11, 24), "federal_register": date(2025, 11, 24)}
TABLES = {"opensky": "flights", WORLD: "flights", "faa_notam": "airspace_notices",
          "federal_register": "regulatory_documents"}
RECORDS: dict[str, Callable[[object], list]] = {
    "opensky": lambda body: body,
    WORLD: lambda body: body,
    "faa_notam": lambda body: [i["properties"]["coreNOTAMData"]["notam"] for i in body["items"]],
    "federal_register": lambda body: body.get("results", []),
}
# a field every record needs, and a value of the wrong type for one
REQUIRED_FIELD = {"opensky": "lastSeen", WORLD: "lastSeen", "faa_notam": "effectiveStart",
                  "federal_register": "document_number"}
WRONG_TYPE = {"opensky": ("firstSeen", "yesterday"), WORLD: ("firstSeen", "yesterday"),
              "faa_notam": ("effectiveStart", 12345),
              "federal_register": ("publication_date", 20251124)}
LOADED = "loaded"


@dataclass(frozen=True)
class Fault:
    name: str
    sources: tuple[str, ...]
    answers: Callable[[FaultServer, str], list[Answer]]
    expect: str  # LOADED, or a regex the error must match


def healthy(server: FaultServer, source: str) -> Answer:
    return server.endpoint(source).healthy


def drop_field(source: str) -> Callable[[dict], None]:
    return lambda record: record.pop(REQUIRED_FIELD[source], None)


def retype_field(source: str) -> Callable[[dict], None]:
    name, value = WRONG_TYPE[source]
    return lambda record: record.__setitem__(name, value)


ALL = ("opensky", WORLD, "faa_notam", "federal_register")
OPENSKY = ("opensky", WORLD)
FAULTS = [
    Fault("none", ALL, lambda s, src: [], LOADED),
    Fault("429 Retry-After", ALL, lambda s, src: [status(429, **{"Retry-After": "1"})], LOADED),
    Fault("429 X-Rate-Limit-Retry-After-Seconds", OPENSKY,
          lambda s, src: [status(429, **{"X-Rate-Limit-Retry-After-Seconds": "1"})], LOADED),
    Fault("429 asking for 2 hours", ALL,
          lambda s, src: [status(429, **{"Retry-After": "7200"})], r"rate limited"),
    Fault("500, 502, 503 then success", ALL,
          lambda s, src: [status(500), status(502), status(503)], LOADED),
    Fault("500 for good", ALL, lambda s, src: [status(500)] * 8, r"HTTP 500"),
    Fault("stall past the timeout, once", ALL,
          lambda s, src: [stall(2.5, healthy(s, src))], LOADED),
    Fault("connection closed mid-body", ALL,
          lambda s, src: [cut_mid_body(healthy(s, src))], r"no answer from"),
    Fault("truncated JSON", ALL,
          lambda s, src: [truncated_json(healthy(s, src))], r"(?i)malformed|not JSON"),
    Fault("HTML error page with 200", ALL,
          lambda s, src: [html_error_page], r"(?i)malformed|not JSON"),
    Fault("drift: a field missing", ALL,
          lambda s, src: [drifted(healthy(s, src), drop_field(src), RECORDS[src])],
          r"cannot normalize.*kept in .*\.body"),
    Fault("drift: an extra field", ALL,
          lambda s, src: [drifted(healthy(s, src), lambda r: r.update(addedField=1),
                                  RECORDS[src])], LOADED),
    Fault("drift: a type changed", ALL,
          lambda s, src: [drifted(healthy(s, src), retype_field(src), RECORDS[src])],
          r"cannot normalize.*kept in .*\.body"),
    Fault("401 once (token expired)", OPENSKY, lambda s, src: [s.revoke_tokens(src)], LOADED),
    Fault("401 (credentials refused)", ("faa_notam",), lambda s, src: [status(401)],
          r"FAA_NOTAM_CLIENT_ID"),
    Fault("403 (no access to historical flights)", OPENSKY, lambda s, src: [status(403)],
          r"403.*historical flights.*OPENSKY_CLIENT_ID"),
    Fault("403 (no access)", ("faa_notam",), lambda s, src: [status(403)],
          r"FAA_NOTAM_CLIENT_ID"),
]
CASES = [pytest.param(source, fault, id=f"{source}-{fault.name}")
         for fault in FAULTS for source in fault.sources]


@pytest.fixture
def faults(httpserver, fdp_env, tmp_path, monkeypatch) -> FaultServer:
    server = FaultServer(httpserver)
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FDP_HTTP_TIMEOUT", "1")
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text('airports = ["SVMI"]\nfirs = ["SVZM"]\nterms = ["Venezuela"]\n')
    watchlist.with_name("watchlist_world.toml").write_text(
        watchlist.read_text() + 'scope = "world"\n')
    monkeypatch.setenv("FDP_WATCHLIST", str(watchlist))
    return server


def run(case: str) -> None:
    day = DAYS[case]
    credentials = {s: Credentials("fault-suite-client", SECRET)
                   for s in ("opensky", "faa_notam")}
    settings = Settings.from_env()
    if case == WORLD:
        settings = replace(settings, watchlist_path=settings.watchlist_path.with_name(
            "watchlist_world.toml"))
    nightly.run_night(day, settings, replay=False, sources=[SOURCE_OF.get(case, case)],
                      credentials=credentials,
                      now=lambda: datetime.combine(day + timedelta(days=1), datetime.min.time(),
                                                   tzinfo=UTC))


def table_state(source: str) -> tuple[int, int, str]:
    with store.connect(Settings.from_env().duckdb_path, read_only=True) as con:
        table = TABLES[source]
        key = {"flights": "flight_id", "airspace_notices": "notice_id",
               "regulatory_documents": "document_number"}[table]
        [(rows, distinct)] = con.execute(f"SELECT count(*), count(DISTINCT {key}) FROM {table}"
                                         ).fetchall()
        return rows, distinct, table_checksum(con, f"(SELECT * EXCLUDE (run_id, loaded_at) "
                                                   f"FROM {table})")


_healthy: dict[str, tuple[int, int, str]] = {}


def healthy_state(source: str, faults: FaultServer, tmp_path, monkeypatch) -> tuple:
    """Rows of a night without faults (computed once per source, in a home of its own)."""
    if source not in _healthy:
        with monkeypatch.context() as patch:
            patch.setenv("FDP_HOME", str(tmp_path / "healthy"))
            run(source)
            _healthy[source] = table_state(source)
    return _healthy[source]


@pytest.mark.parametrize(("source", "fault"), CASES)
def test_fault(source, fault, faults, tmp_path, monkeypatch, caplog):
    expected = healthy_state(source, faults, tmp_path, monkeypatch)
    faults.endpoint(source).faults[:] = fault.answers(faults, source)
    error: SourceError | None = None
    try:
        run(source)
    except SourceError as exc:
        error = exc

    rows, distinct, checksum = table_state(source)
    assert rows == distinct, "duplicated rows"
    for text in (str(error or ""), caplog.text):
        assert SECRET not in text
    if fault.expect == LOADED:
        assert error is None, f"expected a load, got: {error}"
        assert (rows, checksum) == (expected[0], expected[2])
        outcome = "retried and loaded" if fault.name != "none" else LOADED
    else:
        assert error is not None, "the fault went unnoticed"
        assert error.source == SOURCE_OF.get(source, source)
        assert error.partition.startswith(DAYS[source].isoformat())
        assert re.search(fault.expect, str(error), re.DOTALL), str(error)
        assert rows == 0, "a failed night left rows behind"
        outcome = f"failed: {error.problem[:60]}"
    FAULT_OUTCOMES.append((source, fault.name, outcome, expected[0] - rows if error is None
                           else 0))


@pytest.mark.parametrize("source", ALL)
def test_failed_rerun_keeps_the_good_night(source, faults, monkeypatch):
    run(source)
    before = table_state(source)
    # the source changes its answer (so the load is not skipped as unchanged) but truncates it
    faults.endpoint(source).faults[:] = [truncated_json(faults.endpoint(source).healthy)]
    with pytest.raises(SourceError):
        run(source)
    after = table_state(source)
    assert after == before
    FAULT_OUTCOMES.append((source, "truncated JSON on a rerun of a loaded night",
                           "failed; the loaded night kept", before[0] - after[0]))
