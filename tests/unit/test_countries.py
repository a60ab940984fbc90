"""Countries reference from CLDR (babel): offline, ISO alpha-2, loaded whole."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pipeline import nightly, store
from pipeline.config import Settings
from pipeline.raw import RawZone
from pipeline.sources import countries
from pipeline.sources.base import FetchContext
from pipeline.watchlist import load_watchlist


def test_countries_load_offline_with_the_watchlist_and_registry_codes(fdp_env):
    settings = Settings.from_env()
    ctx = FetchContext(settings, RawZone(settings.raw_dir), {},
                       now=lambda: datetime(2025, 11, 21, tzinfo=UTC))
    [part] = nightly.plan(date(2025, 11, 20), load_watchlist(), ["countries"], raw=ctx.raw,
                          today=date(2025, 11, 21))
    nightly.fetch_partition(part, ctx, replay=False)
    staged = nightly.normalize_partition(part, settings, load_watchlist())
    nightly.load_night([staged], settings, "run-1")
    with store.connect(settings.duckdb_path, read_only=True) as con:
        names = dict(con.execute("SELECT country, name FROM countries").fetchall())
    assert names["VE"] == "Venezuela" and names["CW"] == "Curaçao" and names["EU"]
    assert set(load_watchlist().countries) <= set(names)
    assert "ZZ" not in names and len(names) == 258
    assert all(len(code) == 2 and code.isupper() for code in names)
    assert part.name == countries.PARTITION  # one snapshot partition whatever the night
