"""`fdp`: run, backfill, query and inspect the flight-disruption pipeline from a shell."""

from __future__ import annotations

import argparse
import errno
import logging
import math
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

# Only light modules here: `fdp --help` and every usage error must answer at once. The pipeline
# (pandas, DuckDB, pyarrow, pandera, Airflow, matplotlib) is imported by the command that runs.
from pipeline.config import Settings, all_credentials_from_env
from pipeline.errors import PipelineError
from pipeline.sources.registry import SOURCES  # names only: a source's module loads on use
from pipeline.watchlist import WatchlistError

if TYPE_CHECKING:  # tqdm loads when a command draws a bar
    from tqdm import tqdm

# pipeline.flightlists.importer.FORMATS, named here so that --help can list them without
# importing the importer (tests/unit/test_cli.py keeps them equal)
IMPORT_FORMATS = ("anac-vra", "bts-ontime", "opensky-flightlist")
SQL_TIMEOUT_S = 60.0
# Commands that write $FDP_HOME and the DuckDB file: checked writable before they start.
WRITING_COMMANDS = ("run", "backfill", "import", "rebuild", "publish", "demo", "alerts")
# What an OSError that stops a command leaves behind, in the words of its one-line error.
AFTER_OS_ERROR = {
    "run": "nothing was loaded",
    "backfill": "no further day was loaded (rerun to resume)",
    "import": "nothing was loaded",
    "rebuild": "nothing was published",
    "publish": "nothing was published",
    "report": "no report was written",
}

EPILOG = """environment:
  FDP_HOME          data folder: raw zone, staging, DuckDB file, Airflow home (default ./data)
  FDP_DUCKDB        DuckDB file the pipeline writes (default $FDP_HOME/fdp.duckdb); readers
                    use its published copy, published/<same name> beside it
  FDP_WATCHLIST     TOML file of countries, airports and FIRs to follow (default: Venezuela)
  OPENSKY_CLIENT_ID, OPENSKY_CLIENT_SECRET   OpenSky API client credentials
  FAA_NOTAM_CLIENT_ID, FAA_NOTAM_CLIENT_SECRET   FAA NOTAM API client credentials
  FDP_OPENSKY_API_URL, FDP_OPENSKY_AUTH_URL, FDP_FAA_NOTAM_API_URL,
  FDP_FEDERAL_REGISTER_API_URL, FDP_OPENFLIGHTS_AIRLINES_URL,
  FDP_OURAIRPORTS_AIRPORTS_URL   override base URLs
  FDP_ALERT_WEBHOOK_URL   webhook for each night's alerts (Slack-compatible JSON)
  FDP_ALERT_SMTP_HOST, FDP_ALERT_SMTP_PORT, FDP_ALERT_SMTP_SECURITY (starttls|ssl|none),
  FDP_ALERT_SMTP_USER, FDP_ALERT_SMTP_PASSWORD, FDP_ALERT_SMTP_FROM, FDP_ALERT_SMTP_TO
                    SMTP server, login, sender and recipients of the alert e-mails
  FDP_ALERT_MAX_AGE_DAYS   nights older than this many days send no alerts (default 3)
  FDP_DUCKDB_MEMORY_LIMIT, FDP_DUCKDB_THREADS, FDP_DUCKDB_TEMP_DIRECTORY
                    DuckDB's memory, cores and spill folder (defaults fit a container)
  (all settings: docs/operations.md, "Configuration")"""


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < math.inf:
        raise argparse.ArgumentTypeError(f"not a number of seconds (0 or more): {text!r}")
    return seconds


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from exc


def _sources(text: str) -> tuple[str, ...]:
    from pipeline import nightly

    try:
        return nightly.check_sources(s.strip() for s in text.split(",") if s.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _add_night_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--replay", action="store_true",
                        help="rebuild from the raw zone only, with no network")
    parser.add_argument("--sources", type=_sources, default=tuple(SOURCES),
                        help=f"comma-separated sources (default: {','.join(SOURCES)})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fdp", description=__doc__, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="fetch, normalize and load one UTC day",
        description="Run one night for UTC day DATE: fetch every source's answers for it "
        "into the raw zone (OpenSky: the watched airports' arrivals and departures, or with "
        "scope = \"world\" in the watchlist every flight, in twelve 2-hour windows), "
        "normalize them, replace that day's partitions in DuckDB, then send its alerts (see "
        "`fdp alerts`). Running a day twice leaves the same rows and sends no alert twice.",
    )
    run.add_argument("--date", type=_day, required=True, help="the UTC day, YYYY-MM-DD (past)")
    _add_night_options(run)

    backfill = commands.add_parser(
        "backfill", help="run every day of a date range",
        description="Run each UTC day from START to END inclusive, with a progress bar. "
        "Resumable: days whose partitions all loaded already are skipped unless --force.",
    )
    backfill.add_argument("--start", type=_day, required=True, help="first day, YYYY-MM-DD")
    backfill.add_argument("--end", type=_day, required=True, help="last day, YYYY-MM-DD")
    backfill.add_argument("--force", action="store_true", help="rerun days already loaded")
    _add_night_options(backfill)

    sql = commands.add_parser(
        "sql", help="run a read-only SQL query on the last published night",
        description="Run QUERY, read-only, against the published copy of the database "
        "(the last night that loaded and passed its checks). It never waits for a running "
        "load and never sees one half done. Example: "
        "fdp sql \"select flight_date, count(*) from flights group by all order by 1\"",
    )
    sql.add_argument("query", help="the SQL text (tables only: no file or network access)")
    sql.add_argument("--format", choices=("table", "csv", "json"), default="table",
                     help="table for people (NULL shown as NULL), csv (NULL: empty field) or "
                     "json (one array of objects; NULL: null, dates and times ISO 8601) for "
                     "scripts")
    sql.add_argument("--timeout", type=_seconds, default=SQL_TIMEOUT_S, metavar="SECONDS",
                     help=f"stop the query after SECONDS (default {SQL_TIMEOUT_S:g}; 0: no "
                     "limit). Ctrl-C also stops it at once")

    importer = commands.add_parser(
        "import", help="import flight-list files (BTS, ANAC VRA, OpenSky) into flights",
        description="Import flight-list FILEs (plain CSV, .gz, or a .zip holding one CSV) into "
        "`flights`, then bring the route and traffic tables up to date for the days they "
        "touch. Each file is read in chunks, so memory stays bounded on a full BTS month; the "
        "rows read so far show on stderr. Re-importing a file replaces its rows. Airport and "
        "carrier codes are mapped to ICAO through the reference; codes that do not resolve "
        "are kept and listed in the summary, and rows that cannot be read are skipped and "
        "listed with file and line.",
    )
    importer.add_argument("files", nargs="+", type=Path, metavar="FILE")
    importer.add_argument("--format", required=True, choices=IMPORT_FORMATS,
                          help="bts-ontime: BTS Reporting Carrier On-Time Performance; "
                          "anac-vra: ANAC's VRA (Brazil); opensky-flightlist: OpenSky's "
                          "flightlist CSV")
    importer.add_argument("--json", action="store_true", help="print the summary as JSON")

    commands.add_parser(
        "rebuild", help="recompute the derived tables from everything loaded",
        description="Recompute carrier_status, route_daily, airport_traffic_daily and "
        "route_events from all loaded flights, in one transaction. Loads keep them up to date "
        "on their own; use this after changing the derive SQL. The result equals what the "
        "nights produced one by one.",
    )

    commands.add_parser(
        "publish", help="publish the database as it is now for readers",
        description="Check the DuckDB file and bring its published copy up to date, "
        "atomically (what `fdp sql`, the report and the duckdb CLI read; docs/tables.md, "
        "\"Publish\"). Every successful night, import "
        "and rebuild does this on its own; run it after upgrading, or after fixing what "
        "made a night's checks fail.",
    )

    commands.add_parser(
        "status", help="last load of every partition and how fresh the data is",
        description="Print the last load of every source partition (status, rows, when) "
        "and the newest UTC day with flights.",
    )

    report = commands.add_parser(
        "report", help="write the change report of one UTC day (HTML, Markdown, plots)",
        description="Write what changed on UTC day DATE for the watched countries: new and "
        "ended carrier suspensions, route events, airspace notices in force, and traffic "
        "against baseline, with PNG plots. Writes report.html, report.md and the plots to "
        "$FDP_HOME/reports/DATE/ (or --out), replacing an earlier report of that day whole, "
        "and prints the HTML's path. It reads the published copy of the database and shows "
        "only what was known on DATE. Example: fdp report --date 2025-11-27",
    )
    report.add_argument("--date", type=_day, required=True, help="the UTC day, YYYY-MM-DD")
    report.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="folder to write (default $FDP_HOME/reports/DATE); an existing "
                        "folder is replaced only if it is empty or holds a report")

    alerts = commands.add_parser(
        "alerts", help="send the alerts of one UTC day (new suspensions, status changes)",
        description="Send the alerts of UTC day DATE (route suspensions detected that day and "
        "carrier-status changes known that day, with their causes, for the watched countries) "
        "to the webhook and e-mail set by FDP_ALERT_*. Each channel gets each alert once, "
        "whatever reruns: what it had before is not sent again. `fdp run` does this after "
        "every night. Nights older than FDP_ALERT_MAX_AGE_DAYS send nothing (their alerts are "
        "recorded as skipped). Example: fdp alerts --date 2025-11-26 --dry-run",
    )
    alerts.add_argument("--date", type=_day, required=True, help="the UTC day, YYYY-MM-DD")
    alerts.add_argument("--dry-run", action="store_true",
                        help="print the alerts and what each channel would get; send and "
                        "record nothing")

    demo = commands.add_parser(
        "demo", help="run the nightly DAG over the bundled synthetic replay",
        description="Write the bundled SYNTHETIC OpenSky replay (10 Nov - 5 Dec 2025, "
        "Venezuelan airports) into the raw zone, run the Airflow DAG flight_disruption_nightly "
        "once per night with replay=true (Airflow's SQLite metadata under $FDP_HOME/airflow), "
        "then print what to look at.",
    )
    demo.add_argument("--start", type=_day, default=None, help="first night (default 2025-11-10)")
    demo.add_argument("--end", type=_day, default=None, help="last night (default 2025-12-05)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    handler = {"run": cmd_run, "backfill": cmd_backfill, "sql": cmd_sql,
               "status": cmd_status, "demo": cmd_demo, "rebuild": cmd_rebuild,
               "import": cmd_import, "publish": cmd_publish, "report": cmd_report,
               "alerts": cmd_alerts}[args.command]
    try:
        if args.command in WRITING_COMMANDS:
            _check_writable(settings)
        return handler(args, settings)
    except (PipelineError, WatchlistError) as exc:
        print(f"fdp {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # what reads our output stopped early: `fdp sql ... | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no 2nd error at exit
        return 141  # as for a command that SIGPIPE ended
    except OSError as exc:  # a folder or disk it cannot write, wherever in the command
        print(f"fdp {args.command}: error: {_explain_os_error(exc, args.command)}",
              file=sys.stderr)
        return 1


def _check_writable(settings: Settings) -> None:
    """Fail before any work, rather than half way through, when a folder the command writes
    is read-only (DuckDB's own error for that would be a traceback)."""
    for folder in dict.fromkeys((settings.home, settings.duckdb_path.parent,
                                 settings.published_path.parent)):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(folder)) from exc


def _explain_os_error(exc: OSError, command: str) -> str:
    if exc.filename is None:  # e.g. pyarrow's errors, which name the file in their text
        where = exc.strerror or str(exc)
    elif exc.errno in (errno.EROFS, errno.ENOSPC, errno.EDQUOT):
        where = f"cannot write {exc.filename}: {exc.strerror}"
    else:
        where = f"{exc.filename}: {exc.strerror}"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        fix = ("make it writable, or point FDP_HOME (and FDP_DUCKDB, if set) at a folder you "
               "can write")
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "free space on that disk, then run it again"
    else:
        fix = "check the path or address it names, then run it again"
    outcome = AFTER_OS_ERROR.get(command)
    return f"{where}; {outcome}. Fix: {fix}" if outcome else f"{where}. Fix: {fix}"


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import nightly

    results = nightly.run_night(
        args.date, settings, replay=args.replay, sources=args.sources,
        credentials=all_credentials_from_env(),
    )
    _print_results(args.date, results)
    _send_alerts(settings, args.date, dry_run=False, after_night=True)
    return 0


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from pipeline import nightly

    if args.end < args.start:
        raise PipelineError(f"--end {args.end} is before --start {args.start}")
    days = [args.start + timedelta(days=n) for n in range((args.end - args.start).days + 1)]
    done = set() if args.force else nightly.loaded_days(settings, days, args.sources)
    todo = [day for day in days if day not in done]
    if done:
        print(f"skipping {len(done)} day(s) already loaded (use --force to rerun them)")
    credentials = all_credentials_from_env()
    with tqdm(todo, unit="day", desc="backfill") as bar:
        for day in bar:
            bar.set_postfix_str(day.isoformat())
            nightly.run_night(day, settings, replay=args.replay, sources=args.sources,
                              credentials=credentials)
    print(f"backfill done: {len(todo)} day(s) run, {len(done)} skipped")
    return 0


def cmd_sql(args: argparse.Namespace, settings: Settings) -> int:
    import duckdb

    from pipeline import adhoc_sql, store

    try:
        with store.connect_published(settings) as con:
            result = adhoc_sql.fetch_with_limit(con, args.query, args.timeout or math.inf)
    except duckdb.Error as exc:
        raise PipelineError(f"query failed: {exc}") from exc
    except adhoc_sql.QueryTimeout as exc:
        raise PipelineError(f"{exc}. Fix: give it longer with --timeout SECONDS, e.g. "
                            f"--timeout {exc.seconds * 10:g}, or --timeout 0 for no limit"
                            ) from exc
    except KeyboardInterrupt:
        print("fdp sql: interrupted (Ctrl-C); the query was stopped", file=sys.stderr)
        return 130
    print(adhoc_sql.render(result, args.format))
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import adhoc_sql, store

    loads = None
    if settings.published_path.exists():
        with store.connect_published(settings) as con:
            loads = adhoc_sql.fetch(con, store.sql_file("load/status.sql"))
            [(newest,)] = con.execute("SELECT max(flight_date) FROM flights").fetchall()
    if loads is None or not loads.rows:
        print(f"{settings.published_path}: nothing loaded yet "
              "(try `fdp run --date YYYY-MM-DD`)")
        return 0
    print(adhoc_sql.render_table(loads))
    status = loads.columns.index("status")
    failed = sum(row[status] == "failed" for row in loads.rows)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    behind = f"{(yesterday - newest).days} day(s) behind yesterday" if newest else "no flights"
    print(f"\nnewest flight day: {newest} ({behind}); failed partitions: {failed}")
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from tqdm import tqdm

    from pipeline.flightlists.importer import import_and_load

    run_id = f"import__{datetime.now(UTC).isoformat()}"
    with tqdm(desc="import", unit=" rows", unit_scale=True) as bar, derive_progress():
        summary = import_and_load(list(args.files), args.format, settings, run_id,
                                  progress=ImportBar(bar))
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        _print_import_summary(summary)
    return 0


class ImportBar:
    """`fdp import`'s progress on stderr: the rows read so far and from which file, then a
    line when the load begins (six months of BTS files: 71 s of reading, then 20 s of load,
    derive and publish; docs/operations.md)."""

    def __init__(self, bar: tqdm) -> None:
        self.bar = bar

    def read(self, path: Path, rows: int) -> None:
        self.bar.set_description_str(f"import {path.name}", refresh=False)
        self.bar.update(rows)

    def loading(self, partitions: int) -> None:
        self.bar.close()
        print(f"loading {partitions} partition(s), then the route and traffic tables for the "
              "days they touch ...", file=sys.stderr, flush=True)


@contextmanager
def derive_progress() -> Iterator[None]:
    """The derive's progress on stderr ("deriving days A to B (n of N)"), for a command that
    may derive many days: a year's import or rebuild derives for minutes, 28 days at a time."""
    logger = logging.getLogger("pipeline.store.derive")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _print_import_summary(summary: dict) -> None:
    for skipped in summary["skipped"]:
        print(f"skipped {skipped}")
    print(f"{summary['rows_read']} rows read, {summary['rows_staged']} loaded "
          f"({', '.join(f'{n} {k}' for k, n in summary['rows_by_status'].items())}) "
          f"into {len(summary['loaded'])} partition(s); days touched: "
          f"{len(summary['days_touched'])}")
    for result in summary["loaded"]:
        if result["message"]:
            print(f"{result['partition']}: {result['message']}")
    for kind in ("bad_rows", "duplicates", "warnings"):
        issues = summary[kind]
        if issues["count"]:
            print(f"{issues['count']} {kind.replace('_', ' ')}:")
            for line in issues["first"]:
                print(f"  {line}")
    for kind in ("unresolved_airports", "unresolved_carriers"):
        codes = summary[kind]
        if codes:
            top = sorted(codes.items(), key=lambda item: -item[1])[:15]
            print(f"{kind.replace('_', ' ')} (kept, ICAO left empty): "
                  + ", ".join(f"{code} x{n}" for code, n in top))


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import store

    with store.connect(settings.duckdb_path) as con, derive_progress():
        store.rebuild_derived(con)
        [(events,)] = con.execute("SELECT count(*) FROM route_events").fetchall()
        store.publish(con, settings)
    print(f"derived tables rebuilt in {settings.duckdb_path}: {events} route events")
    return 0


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import store

    with store.connect(settings.duckdb_path) as con:
        store.publish(con, settings)
    print(f"published {settings.duckdb_path} -> {settings.published_path}")
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.report import write_report  # imports matplotlib: only when asked

    print(write_report(settings, args.date, args.out))
    return 0


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    _send_alerts(settings, args.date, dry_run=args.dry_run, after_night=False)
    return 0


def _send_alerts(settings: Settings, day: date, *, dry_run: bool, after_night: bool) -> None:
    """Send (or, dry, print) the day's alerts; `after_night`: the night just loaded, so there
    is no need to check that the day has data."""
    from pipeline.alerts.delivery import send_configured  # imports Airflow only to send

    delivery = send_configured(settings, day, dry_run=dry_run, require_data=not after_night,
                               run_id=f"cli__alerts__{datetime.now(UTC).isoformat()}")
    if dry_run and delivery.alerts:
        print(delivery.text() + "\n")
    print(delivery.summary())
    error = delivery.error()
    if error:
        raise error


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.demo.runner import run_demo  # imports Airflow: only when asked

    return run_demo(settings, start=args.start, end=args.end)


def _print_results(day: date, results: list[dict]) -> None:
    """One line a partition, and under it what a user should know although it loaded: a
    registry edit with problems, a download carried forward, flights merged."""
    for result in results:
        print(f"{day} {result['source']} {result['partition']}: "
              f"{result['rows']} rows {result['status']}")
        if result["message"]:
            print(f"  {result['message']}")


if __name__ == "__main__":
    sys.exit(main())
