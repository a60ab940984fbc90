"""A night's partitions normalized in chunks (nightly.chunks, nightly.normalize_chunk): one frame,
one schema check and one staging file a chunk, and for each partition exactly what normalizing
it alone gives (rows, fingerprint, lineage), on the demo's SYNTHETIC raw zone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pipeline import nightly, store
from pipeline.config import Settings
from pipeline.demo.runner import write_demo_raw
from pipeline.demo.synthetic import load_scenario
from pipeline.errors import SourceError
from pipeline.raw import RawZone
from pipeline.watchlist import load_watchlist

DAY = date(2025, 11, 21)


@pytest.fixture
def settings(fdp_env) -> Settings:
    settings = Settings.from_env()
    write_demo_raw(settings, load_scenario(), DAY, DAY)
    return settings


def opensky_parts(settings: Settings) -> list[nightly.Partition]:
    parts = nightly.plan(DAY, load_watchlist(settings.watchlist_path), ["opensky"],
                         raw=RawZone(settings.raw_dir), today=None)
    assert len(parts) > 2
    return parts


def test_a_chunk_gives_each_partition_what_normalizing_it_alone_gives(settings):
    parts = opensky_parts(settings)
    watchlist = load_watchlist(settings.watchlist_path)
    alone = [nightly.normalize_partition(p, settings, watchlist) for p in parts]
    together = nightly.normalize_chunk(parts, settings, watchlist)

    def without_path(staged: list[dict]) -> list[dict]:
        return [{k: v for k, v in s.items() if k != "staging_path"} for s in staged]

    assert without_path(together) == without_path(alone)
    assert sum(s["rows"] for s in together) > 0
    assert len({s["staging_path"] for s in together}) == 1  # one file for the chunk


def test_a_chunk_loads_the_rows_its_partitions_load_one_by_one(settings, tmp_path):
    parts = opensky_parts(settings)
    watchlist = load_watchlist(settings.watchlist_path)
    loaded = {}
    for name, staged in (("alone", [nightly.normalize_partition(p, settings, watchlist)
                                    for p in parts]),
                         ("together", nightly.normalize_chunk(parts, settings, watchlist))):
        with store.connect(tmp_path / f"{name}.duckdb") as con:
            store.load_partitions(con, [store.StagedPartition(**s) for s in staged], "t")
            loaded[name] = con.execute(
                "SELECT * EXCLUDE (loaded_at) FROM flights ORDER BY flight_id").fetchall()
    assert loaded["together"] == loaded["alone"] and loaded["alone"]


def test_chunks_hold_one_source_and_day_in_plan_order():
    parts = [nightly.Partition("opensky", "2025-11-21", f"K{n:03d}") for n in range(5)]
    parts += [nightly.Partition("faa_notam", "2025-11-21", "all")]
    chunked = nightly.chunks(parts, size=2)
    assert [[p.key for p in chunk] for chunk in chunked] == [
        ["K000", "K001"], ["K002", "K003"], ["K004"], ["all"]]


def test_a_bad_partition_in_a_chunk_is_named_and_kept_in_the_raw_zone(settings):
    parts = opensky_parts(settings)
    bad = parts[1]
    raw = RawZone(settings.raw_dir)
    good = raw.latest(bad.source, bad.name)
    with raw.fetch(bad.source, bad.name, synthetic=True) as batch:  # SYNTHETIC: a broken body
        for record in good:
            batch.add(request=record.request, url=record.url, params=record.params,
                      status=200, body=b'[{"icao24": "abc"}]', fetched_at=datetime.now(UTC))
    with pytest.raises(SourceError) as error:
        nightly.normalize_chunk(parts, settings, load_watchlist(settings.watchlist_path))
    assert bad.name in str(error.value) and "cannot normalize" in str(error.value)
    assert Path(raw.partition_dir(bad.source, bad.name)).is_dir()


def test_sources_without_a_batch_normalizer_are_normalized_one_by_one(settings):
    parts = nightly.plan(DAY, load_watchlist(settings.watchlist_path), ["faa_notam"],
                         raw=RawZone(settings.raw_dir), today=None)
    parts = [replace(p, fetch=False) for p in parts]
    staged = nightly.normalize_chunk(parts, settings, load_watchlist(settings.watchlist_path))
    assert [s["partition"] for s in staged] == [p.name for p in parts]


def test_five_hundred_airports_make_a_few_dozen_task_instances(tmp_path, monkeypatch):
    """The DAG maps fetch and normalize over plan_partitions' chunks, not over partitions."""
    import airportsdata

    from pipeline.airflow_tasks import plan_partitions

    airports = sorted(code for code, a in airportsdata.load().items()
                      if a["country"] == "US" and code.isalpha())[:500]
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text(f"countries = [\"US\"]\nairports = {airports!r}\n".replace("'", '"'))
    monkeypatch.setenv("FDP_WATCHLIST", str(watchlist))
    chunked = plan_partitions(datetime(2025, 11, 21, tzinfo=UTC), ["opensky"], replay=False)
    assert [len(chunk) for chunk in chunked] == [50] * 10
