"""Test set-up. Airflow reads its configuration when first imported, so its home (a SQLite
metadata database in a temporary folder) is fixed here, before any test imports it."""

from __future__ import annotations

import importlib
import json
import logging
import os
import tempfile
from datetime import date
from pathlib import Path

import pytest

AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="fdp-test-airflow-"))
os.environ["AIRFLOW_HOME"] = str(AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parent.parent / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
os.environ["FDP_TASK_RETRIES"] = "0"  # a failing task fails the dag.test() run at once
for leaked in ("OPENSKY_CLIENT_ID", "OPENSKY_CLIENT_SECRET", "FAA_NOTAM_CLIENT_ID",
               "FAA_NOTAM_CLIENT_SECRET", "AIRFLOW_CONN_OPENSKY_DEFAULT",
               "AIRFLOW_CONN_FAA_NOTAM_DEFAULT", "FDP_HOME", "FDP_DUCKDB", "FDP_WATCHLIST",
               "FDP_REGISTRY", "FDP_FAA_NOTAM_API_URL", "FDP_FEDERAL_REGISTER_API_URL",
               "FDP_OPENSKY_API_URL", "FDP_OPENSKY_AUTH_URL", "FDP_OPENFLIGHTS_AIRLINES_URL",
               "FDP_OURAIRPORTS_AIRPORTS_URL",
               # alerts: a developer's own channels must never get test alerts
               "FDP_ALERT_WEBHOOK_URL", "FDP_ALERT_SMTP_HOST", "FDP_ALERT_SMTP_PORT",
               "FDP_ALERT_SMTP_SECURITY", "FDP_ALERT_SMTP_USER", "FDP_ALERT_SMTP_PASSWORD",
               "FDP_ALERT_SMTP_FROM", "FDP_ALERT_SMTP_TO", "FDP_ALERT_MAX_AGE_DAYS",
               "AIRFLOW_CONN_FDP_ALERTS_WEBHOOK", "AIRFLOW_CONN_FDP_ALERTS_SMTP"):
    os.environ.pop(leaked, None)
# Test traffic stays on loopback: a test that forgets to point a source at its local server
# gets a refused connection here, never the real API.
for url_variable in ("FDP_OPENSKY_API_URL", "FDP_OPENSKY_AUTH_URL", "FDP_FAA_NOTAM_API_URL",
                     "FDP_FEDERAL_REGISTER_API_URL", "FDP_OPENFLIGHTS_AIRLINES_URL",
                     "FDP_OURAIRPORTS_AIRPORTS_URL"):
    os.environ[url_variable] = "http://127.0.0.1:9/no-server-in-this-test"
SESSION_AIRFLOW_VARIABLES = {key: value for key, value in os.environ.items()
                             if key.startswith("AIRFLOW")}
# Airflow adds a root log handler on the sys.stderr of its first import. Imported here, that is
# the session's capture. Imported first by a test that captures its own output (capsys), as
# happened once the suite ran in parallel, it was that test's stream, closed after it, and a
# later test's warning printed "--- Logging error ---" into that test's stderr.
importlib.import_module("airflow")

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# (source, fault, outcome, rows lost): filled by tests/faults, printed at the end of the run
FAULT_OUTCOMES: list[tuple[str, str, str, int]] = []


# `make test` runs the suite on every core (pytest-xdist). The tests of these modules run in
# one worker per group: the demo's session fixture is made once, and no two of Airflow's
# standalone servers (whose log servers listen on fixed ports) overlap. xdist's own
# `--dist loadgroup` cannot do it under pytest 9, whose node ids it no longer rewrites.
WORKER_GROUPS = {"test_demo.py": "demo", "test_report_render.py": "demo",
                 "test_scheduler.py": "airflow-standalone", "test_deploy.py": "airflow-standalone"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ModuleGroupScheduling(LoadScopeScheduling):
        """Each test is a work unit of its own, but a group's modules are one unit."""

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
            return WORKER_GROUPS.get(module, nodeid)

    return ModuleGroupScheduling(config, log)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a worker: hand its fault outcomes to the controller, which prints the summary."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["fault_outcomes"] = FAULT_OUTCOMES


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    FAULT_OUTCOMES.extend(tuple(outcome) for outcome in
                          getattr(node, "workeroutput", {}).get("fault_outcomes", ()))


def pytest_terminal_summary(terminalreporter) -> None:
    if not FAULT_OUTCOMES:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fault injection summary")
    write(f"{'source':<17} {'fault':<46} {'rows lost':>9}  outcome")
    for source, fault, outcome, lost in FAULT_OUTCOMES:
        write(f"{source:<17} {fault:<46} {lost:>9}  {outcome}")
    write(f"{len(FAULT_OUTCOMES)} faults tried, rows lost in all: "
          f"{sum(lost for *_, lost in FAULT_OUTCOMES)}")


def load_fixture(name: str) -> list[dict]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


SECRET_MARK = "s3cret"  # every fake credential secret in this suite contains it


@pytest.fixture(autouse=True)
def no_secret_leaks(caplog: pytest.LogCaptureFixture, tmp_path: Path):
    """Around every test: no log record at any level, and no file the test left (raw
    manifests and bodies, staging, DuckDB files, reports), contains a credential secret."""
    caplog.set_level(logging.DEBUG)
    yield
    records = [r for phase in ("setup", "call") for r in caplog.get_records(phase)]
    leaked_logs = [r.getMessage() for r in records if SECRET_MARK in r.getMessage()]
    assert not leaked_logs, f"a secret reached the logs: {leaked_logs[:3]}"
    leaked_files = [str(p) for p in tmp_path.rglob("*")
                    if p.is_file() and SECRET_MARK.encode() in p.read_bytes()]
    assert not leaked_files, f"a secret reached files: {leaked_files[:3]}"


@pytest.fixture
def fdp_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh FDP_HOME with fast HTTP retries; returns the folder."""
    home = tmp_path / "fdp"
    monkeypatch.setenv("FDP_HOME", str(home))
    monkeypatch.setenv("FDP_HTTP_BACKOFF", "0.01")
    monkeypatch.setenv("FDP_HTTP_RETRIES", "3")
    return home


@pytest.fixture(autouse=True)
def airflow_variables_stay_in_their_test():
    """airflow_env() (fdp demo, also in session fixtures) sets Airflow's settings in
    os.environ, where Airflow reads them, among them this session's metadata database: after
    each test, back to the session's own, so that no later test's subprocess with an Airflow
    home of its own inherits them."""
    yield
    for key in [key for key in os.environ if key.startswith("AIRFLOW")]:
        if key not in SESSION_AIRFLOW_VARIABLES:
            del os.environ[key]
    os.environ.update(SESSION_AIRFLOW_VARIABLES)


@pytest.fixture(scope="session")
def airflow_metadata() -> Path:
    """Airflow's SQLite metadata database and the writer pool, made once per test session."""
    from pipeline.airflow_runner import prepare_airflow

    prepare_airflow(AIRFLOW_HOME / "setup.log")
    return AIRFLOW_HOME


DEMO_NIGHTS = (date(2025, 11, 10), date(2025, 11, 30))


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory, airflow_metadata: Path) -> Path:
    """FDP_HOME after the demo's nights (DEMO_NIGHTS) ran once through Airflow: about 1.5 min,
    so the demo and report tests share one. Rerunning its nights leaves the same tables;
    change nothing else in it."""
    from pipeline.config import Settings
    from pipeline.demo.runner import run_demo

    home = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FDP_HOME", str(home))
        assert run_demo(Settings.from_env(), start=DEMO_NIGHTS[0], end=DEMO_NIGHTS[1]) == 0
    return home


def add_airports(con, codes: tuple[str, ...]) -> None:
    """Real airports (airportsdata: name, country, position) into the airports table."""
    import airportsdata

    known = airportsdata.load("ICAO")
    con.executemany(
        "INSERT INTO airports (airport_icao, name, country, lat, lon, source_partition, "
        "run_id, loaded_at) VALUES (?, ?, ?, ?, ?, 'p', 't', now())",
        [(a, known[a]["name"], known[a]["country"], known[a]["lat"], known[a]["lon"])
         for a in codes])


def table_checksum(con, table: str) -> str:
    """md5 over every column of every row, in a stable order: equal means identical contents."""
    [(digest,)] = con.execute(
        f"SELECT md5(coalesce(string_agg(CAST(t AS VARCHAR), '|' ORDER BY CAST(t AS VARCHAR)), ''))"
        f" FROM {table} t"
    ).fetchall()
    return digest


def derived_rows(con) -> dict[str, list[tuple]]:
    """Every derived table and derived state, row for row: what a night must leave as a
    rebuild would."""
    from pipeline.store.derive import DERIVED_STATE, DERIVED_TABLES

    return {table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in (*DERIVED_TABLES, *DERIVED_STATE, "carrier_status")}


# --- alert channels: a local webhook (pytest-httpserver) and a local SMTP server --------------

HOOK_PATH = f"/services/T000/B000/{SECRET_MARK}-hook-token"  # the path is a webhook's secret


@pytest.fixture
def webhook_log_unchecked():
    """The local webhook server's own access log names the path it served: that is the test
    server's log, not the pipeline's, which must never hold the path (no_secret_leaks)."""
    def pipeline_only(record: logging.LogRecord) -> bool:
        return HOOK_PATH not in record.getMessage()

    werkzeug = logging.getLogger("werkzeug")
    werkzeug.addFilter(pipeline_only)
    yield
    werkzeug.removeFilter(pipeline_only)


@pytest.fixture
def inbox():
    """A real SMTP server on 127.0.0.1 (tests/local_smtp.py) and what it accepted."""
    from local_smtp import smtp_server

    with smtp_server() as server:
        yield server
