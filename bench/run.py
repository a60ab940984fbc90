"""`make bench`: one run, one machine, every figure of issue #7 with its ratio.

    python -m bench.run [--scale 1.0] [--days 14] [--history-days 365]

Everything it measures runs on SYNTHETIC OpenSky-format flights (bench/world.py): about 100,000
flights a day, the 500 busiest of 2,500 airports watched, at --scale 1. See bench/README.md for
what each figure means and how it is measured.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from time import perf_counter

from bench import history, memory, ours, peers, rawgen, scheduler_night, views
from bench.figures import Figure, limit_figure, ratio_figure, table, write_csv
from bench.world import World, build_world, days_between
from pipeline import store
from pipeline.config import REPO_ROOT, Settings
from pipeline.raw import RawZone
from pipeline.sources import opensky
from pipeline.sources.base import partition_name

NIGHT = date(2025, 11, 20)  # the timed night; history lies before it, the backfill after
NIGHTS_BEFORE = 2  # the year's last nights before NIGHT run as nights do (nightly_cost)
REFERENCE = tuple(rawgen.REFERENCE_SOURCES)
OPENSKY = (opensky.SOURCE,)
GIB = 1 << 30
_began = perf_counter()


def say(message: str) -> None:
    print(f"[bench {perf_counter() - _began:6.1f} s] {message}", flush=True)


def say_night(times: ours.NightTimes) -> None:
    say(f"ours: {times.day} {times.partitions} partitions, normalize {times.normalize_s:.1f} s,"
        f" load+derive {times.load_derive_s:.1f} s, publish {times.publish_s:.1f} s")


def say_trials(side: str, trials: list[ours.LoadTimes]) -> None:
    load_derive_s, derive_s, publish_s, close_s = ours.median_trial(trials)
    say(f"{side}: the night's load timed {len(trials)} times from the same start, whole nights "
        f"{_seconds(trials)}; the median: load+derive {load_derive_s:.2f} s (derive "
        f"{derive_s:.2f} s), publish {publish_s:.2f} s, close {close_s:.2f} s")


def _seconds(trials: list[ours.LoadTimes]) -> str:
    return ", ".join(f"{ours.whole_night_s(t):.2f}" for t in trials) + " s"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="share of global scale: 1.0 = 100,000 flights a day, 500 "
                        "watched airports (default 1.0; 0.1 for a quick run)")
    parser.add_argument("--days", type=int, default=10, help="backfill days (default 10)")
    parser.add_argument("--history-days", type=int, default=365,
                        help="days of history behind the timed night (default 365)")
    parser.add_argument("--trials", type=int, default=5,
                        help="times the night's load (load+derive, publish, close) is timed "
                        "on each side of item 5, from the same start; the median counts "
                        "(default 5)")
    parser.add_argument("--view-runs", type=int, default=20,
                        help="runs of each view query (default 20)")
    parser.add_argument("--row-by-row-seconds", type=float, default=5.0,
                        help="time given to the row-by-row floor (default 5)")
    parser.add_argument("--home", type=Path, default=REPO_ROOT / "data" / "bench",
                        help="work folder (default data/bench); the raw zone is kept between "
                        "runs, databases are rebuilt")
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "bench" / "results")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    flights_per_day = round(100_000 * args.scale)
    watched = max(10, round(500 * args.scale))
    world = build_world(flights_per_day, 5 * watched, watched, NIGHT)
    home = args.home / f"{flights_per_day}-flights-{watched}-airports"
    settings = prepare_home(home, world)
    say(f"SYNTHETIC world: {len(world.routes):,} routes, {flights_per_day:,} flights a day, "
        f"{watched:,} watched airports; work folder {home}")
    write_raw(settings, world, days_between(NIGHT - timedelta(days=NIGHTS_BEFORE),
                                            NIGHT + timedelta(days=args.days)))

    with ExitStack() as day_start:  # the one-day night's start, kept for item 5's trials
        staged, day_put_back, figures = throughput(settings, world, args.row_by_row_seconds,
                                                   args.trials, day_start)
        figures += nightly_cost(settings, world, staged, day_put_back, args.trials,
                                args.history_days, args.view_runs)
    figures += backfill_memory(settings, args.days)
    say("world night through the real scheduler (Airflow standalone) ...")
    figures.append(scheduler_night.world_night(home.with_name(f"{home.name}-world-night"), world,
                                               NIGHT))
    say(f"world night: {figures[-1].value:.0f} s; {figures[-1].note}")

    cores = os.cpu_count() or 0
    context = {"date": datetime.now(UTC).date().isoformat(), "cores": cores,
               "flights_per_day": flights_per_day, "watched_airports": watched,
               "history_days": args.history_days, "backfill_days": args.days}
    out = args.results / f"bench-{context['date']}-{cores}cores.csv"
    write_csv(out, figures, context)
    print(f"\nflight-disruption pipeline benchmark, {context['date']}, {cores} cores, "
          f"SYNTHETIC data: {flights_per_day:,} flights/day, {watched:,} watched airports\n")
    print(table(figures))
    print(f"\nwritten to {out.relative_to(REPO_ROOT) if out.is_relative_to(REPO_ROOT) else out}; "
          f"whole run {perf_counter() - _began:.0f} s")
    return 0


def prepare_home(home: Path, world: World) -> Settings:
    """Fresh databases and staging; the raw zone is kept while it holds this world's answers
    (rawgen.fresh_home)."""
    rawgen.fresh_home(home, world)
    watchlist = home / "watchlist.toml"
    rawgen.write_watchlist(watchlist, world)
    return Settings.from_env({"FDP_HOME": str(home), "FDP_WATCHLIST": str(watchlist)})


def write_raw(settings: Settings, world: World, days: list[date]) -> None:
    raw = RawZone(settings.raw_dir)
    rawgen.write_reference(settings, NIGHT)
    for day in days:
        if all(raw.latest(opensky.SOURCE, partition_name(day, a)) for a in world.watched):
            continue
        objects = rawgen.write_day(raw, world, day)
        say(f"raw zone: {day} written ({objects:,} SYNTHETIC flight objects)")


def database(settings: Settings, name: str) -> Settings:
    return replace(settings, duckdb_path=settings.home / f"{name}.duckdb")


def known_routes(settings: Settings, world: World) -> None:
    """Set-up, not timed: the countries under every route of the world, as a database that has
    seen them has them (the year's history computes them as it derives), published. A young
    database pays for each airport pair once, the first night it flies: 2 s for the 8,892 new
    pairs of this world's second night (long random routes, 20 km samples)."""
    began = perf_counter()
    with store.connect(settings.duckdb_path) as con:
        con.register("world_routes", world.routes[["origin", "dest"]])
        store.add_route_crossings(con, "SELECT origin AS origin_icao, dest AS dest_icao "
                                       "FROM world_routes")
        store.publish(con, settings)
    say(f"route crossings of the world's airport pairs: {perf_counter() - began:.0f} s "
        "(set-up, not timed)")


def throughput(settings: Settings, world: World, row_by_row_s: float, trials: int,
               day_start: ExitStack
               ) -> tuple[list[dict], Callable[[], None], list[Figure]]:
    """Items 1-4 over the same raw JSON: the night's (the night before it is loaded first, so
    that the night runs on one day of history: item 5's baseline). The night's load is timed
    `trials` times from the same start; its times are those of the median trial. Returns the
    night's staged partitions and the function that puts the one-day database back at the
    night's start (its copies live as long as `day_start`), for item 5."""
    day_db = database(settings, "one-day")
    ours.run_night(NIGHT, day_db, REFERENCE)
    known_routes(day_db, world)
    nights = [NIGHT - timedelta(days=1), NIGHT]
    # Untimed: a night's fetch has just written its raw files, and the peers below read them
    # after ours; read from disk, ours alone paid for it (up to twice its normalize time).
    for path in peers.body_files(RawZone(settings.raw_dir), nights, world.watched):
        path.read_bytes()
    times, _ = ours.run_night(nights[0], day_db, OPENSKY)
    say_night(times)
    put_back = day_start.enter_context(ours.start_copied(day_db))
    times, staged = ours.run_night(NIGHT, day_db, OPENSKY)
    say_night(times)
    day_trials = [times.load, *ours.load_again(staged, day_db, f"bench__{NIGHT}", put_back,
                                               trials - 1)]
    say_trials("1-day history", day_trials)
    times = times.with_load(ours.median_trial(day_trials))
    files = peers.body_files(RawZone(settings.raw_dir), [NIGHT], world.watched)
    rows, native_s = peers.duckdb_read_json(files, settings.home / "read_json.duckdb")
    say(f"DuckDB read_json: {rows:,} rows from {len(files):,} files in {native_s:.2f} s")
    dlt_rows, dlt_s = peers.dlt_load(files, settings.home / "dlt.duckdb", settings.home / "dlt")
    say(f"dlt: {dlt_rows:,} rows in {dlt_s:.1f} s")
    naive_rows, naive_s = peers.row_by_row(files, settings.home / "naive.duckdb", row_by_row_s)
    say(f"row by row: {naive_rows:,} rows in {naive_s:.1f} s")

    # the rate: normalize and load, with derive timed on its own line
    load_s = times.load_derive_s - times.derive_s
    ours_s = times.normalize_s + load_s
    ours_rate, native_rate = rows / ours_s, rows / native_s
    dlt_rate, naive_rate = dlt_rows / dlt_s, naive_rows / naive_s
    return staged, put_back, [
        Figure("1", "ours: raw -> normalize -> load", ours_rate, "rows/s",
               note=f"{rows} JSON rows, {times.partitions} partitions, {times.rows_loaded} rows "
               f"loaded; normalize {times.normalize_s:.2f} s, load {load_s:.2f} s"),
        Figure("1", "  of which normalize (raw -> staging)", rows / times.normalize_s, "rows/s"),
        Figure("1", "  of which load (one transaction, derive apart)", rows / load_s, "rows/s"),
        Figure("1", "ours with derive: raw -> normalize -> load+derive",
               rows / (times.normalize_s + times.load_derive_s), "rows/s",
               note=f"derive {times.derive_s:.2f} s, in the load transaction"),
        ratio_figure("2", "DuckDB read_json (the limit)", native_rate, "rows/s",
                     ours_rate / native_rate, "ours/read_json", at_least=0.5),
        ratio_figure("3", "dlt 1.31 -> DuckDB (the peer)", dlt_rate, "rows/s",
                     ours_rate / dlt_rate, "ours/dlt", at_least=10),
        ratio_figure("4", "row-by-row INSERT (the floor)", naive_rate, "rows/s",
                     ours_rate / naive_rate, "ours/row-by-row",
                     note=f"{naive_rows} rows in the {row_by_row_s:g} s budget"),
    ]


def nightly_cost(settings: Settings, world: World, staged: list[dict],
                 day_put_back: Callable[[], None], trials: int, history_days: int,
                 view_runs: int) -> list[Figure]:
    """Item 5 and the view latencies of item 6: the same night's staged partitions loaded
    after one day of history (the one-day database of `throughput`, put back at the night's
    start by `day_put_back`) and after a year: SQL-inserted history, then its last nights
    (NIGHTS_BEFORE) run as nights, so that the timed night finds the database and its
    published copies as a year of nights leaves them. The two sides' trials alternate (day,
    year, day, ...), each from its side's start, so a machine that runs slower for a few
    minutes slows both sides alike; each side's median trial counts."""
    day_db, year_db = database(settings, "one-day"), database(settings, "one-year")
    ours.run_night(NIGHT, year_db, REFERENCE)
    began = perf_counter()
    with store.connect(year_db.duckdb_path) as con:
        flights = history.insert_history(con, world, NIGHT - timedelta(days=history_days),
                                         NIGHT - timedelta(days=NIGHTS_BEFORE + 1))
    say(f"{history_days}-day history: {flights:,} flights inserted and derived in "
        f"{perf_counter() - began:.0f} s (set-up, not timed)")
    # the history went in by SQL, past the load's records of what to publish: both published
    # copies are made anew, then updated in place by a night each. The first update of a new
    # copy rewrites its last row groups (1.3 s on the year), once: a year of nights has long
    # paid it, and a one-day database's copies hold nothing to rewrite (set-up, not timed).
    published = year_db.published_path  # its folder holds the other databases' copies too
    for path in (published, *published.parent.glob(f".{published.name}.*")):
        path.unlink(missing_ok=True)
    with store.connect(year_db.duckdb_path) as con:
        store.publish(con, year_db)
        store.publish(con, year_db)
    for days_before in range(NIGHTS_BEFORE, 0, -1):
        times, _ = ours.run_night(NIGHT - timedelta(days=days_before), year_db, OPENSKY)
        say(f"{history_days}-day history: the night of {times.day} run (set-up, not timed): "
            f"load+derive {times.load_derive_s:.1f} s, publish {times.publish_s:.1f} s")
    day_trials, year_trials = [], []
    with ours.start_copied(year_db) as year_put_back:
        for trial in range(trials):
            day_put_back()
            day_trials.append(ours.load_night(staged, day_db, "bench__day"))
            if trial:
                year_put_back()
            year_trials.append(ours.load_night(staged, year_db, "bench__year"))
    say_trials("1-day history", day_trials)
    say_trials(f"{history_days}-day history", year_trials)
    day, year = ours.median_trial(day_trials), ours.median_trial(year_trials)
    day_load_s, day_derive_s, day_publish_s, day_close_s = day
    year_load_s, year_derive_s, year_publish_s, year_close_s = year
    day_night_s, year_night_s = ours.whole_night_s(day), ours.whole_night_s(year)
    size_gb = year_db.duckdb_path.stat().st_size / 1e9
    figures = [
        Figure("5", "night load+derive, 1 day of history", day_load_s, "s"),
        ratio_figure("5", f"night load+derive, {history_days} days of history", year_load_s,
                     "s", year_load_s / day_load_s, "1-day",
                     note=f"{flights} history flights inserted by SQL, {size_gb:.1f} GB"),
        Figure("5", "  of which derive, 1 day of history", day_derive_s, "s",
               note="sql/derive, inside the load transaction"),
        ratio_figure("5", f"  of which derive, {history_days} days of history", year_derive_s,
                     "s", year_derive_s / day_derive_s, "1-day"),
        Figure("5", "publish (copy for readers), 1 day of history", day_publish_s, "s",
               note="store.publish, timed apart from load+derive"),
        ratio_figure("5", f"publish (copy for readers), {history_days} days of history",
                     year_publish_s, "s", year_publish_s / day_publish_s, "1-day", at_most=2,
                     note=f"brings a copy of the {size_gb:.1f} GB file up to date"),
        Figure("5", "writer closed (its checkpoint), 1 day of history", day_close_s, "s",
               note="the night's connection closed after the publish: DuckDB checkpoints"),
        ratio_figure("5", f"writer closed (its checkpoint), {history_days} days of history",
                     year_close_s, "s", year_close_s / day_close_s, "1-day"),
        ratio_figure("5", f"whole night (load+derive+publish+close), {history_days} days",
                     year_night_s, "s", year_night_s / day_night_s, "1-day", at_most=1.5,
                     note=f"the issue's bar: the whole night's cost, median of {trials} "
                     f"trials a side, alternated; whole nights {_seconds(day_trials)} "
                     f"with 1 day of history, {_seconds(year_trials)} with {history_days}"),
    ]
    for view in views.VIEWS:
        ms, rows = views.p50_ms(year_db.duckdb_path, view, view_runs)
        say(f"view {view}: p50 {ms:.0f} ms ({rows:,} rows)")
        figures.append(limit_figure("6", f"p50 SELECT * FROM {view}", ms, "ms", 100,
                                    note=f"{rows} rows, {view_runs} runs"))
    return figures


def backfill_memory(settings: Settings, days: int) -> list[Figure]:
    backfill_db = database(settings, "backfill")
    ours.run_night(NIGHT, backfill_db, REFERENCE)
    start, end = NIGHT + timedelta(days=1), NIGHT + timedelta(days=days)
    say(f"backfill {start} .. {end} (fdp backfill --replay, own process) ...")
    peak, seconds = memory.backfill_peak_rss(start, end, {
        "FDP_HOME": str(settings.home), "FDP_WATCHLIST": str(settings.watchlist_path),
        "FDP_DUCKDB": str(backfill_db.duckdb_path)})
    say(f"backfill: {days} nights in {seconds:.0f} s, peak RSS {peak / GIB:.2f} GiB")
    return [limit_figure("6", f"peak RSS, {days}-night backfill", peak / GIB, "GiB", 2,
                         note=f"{seconds:.0f} s wall, {seconds / days:.1f} s a night")]


if __name__ == "__main__":
    sys.exit(main())
