"""Removing an airport from the watchlist never blocks a re-run of a loaded night: the flight
it shared with a still-watched airport (ROI1200 SVBC->SVMI, stored under SVBC's departures)
now also comes from SVMI's arrivals, and is stored once; the removed airport's rows stay."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline import nightly, store
from pipeline.config import Settings
from pipeline.demo.replay import write_replay
from pipeline.demo.synthetic import load_scenario
from pipeline.raw import RawZone
from pipeline.watchlist import load_watchlist

DAY = date(2025, 11, 21)


def flights(settings: Settings) -> list[tuple]:
    with store.connect_published(settings) as con:
        return con.execute("SELECT flight_id, callsign, origin_icao, dest_icao FROM flights "
                           "ORDER BY flight_id").fetchall()


def replay(settings: Settings) -> list[dict]:
    return nightly.run_night(DAY, settings, replay=True, sources=("opensky",))


def test_replay_after_removing_an_airport_stores_each_flight_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FDP_HOME", str(tmp_path / "fdp"))
    settings = Settings.from_env()
    write_replay(RawZone(settings.raw_dir), load_scenario(), load_watchlist().airports, DAY, DAY)
    replay(settings)
    before = flights(settings)
    assert any(c == "ROI1200" and (o, d) == ("SVBC", "SVMI") for _, c, o, d in before)

    only_svmi = tmp_path / "watchlist.toml"
    only_svmi.write_text('countries = ["VE"]\nairports = ["SVMI"]\nfirs = ["SVZM"]\n',
                         encoding="utf-8")
    monkeypatch.setenv("FDP_WATCHLIST", str(only_svmi))
    [result] = replay(Settings.from_env())
    assert result["partition"] == f"{DAY}/SVMI" and result["merged"] > 0
    assert f"taken over from {DAY}/SVBC" in result["message"]
    assert flights(settings) == before  # nothing lost, nothing doubled

    monkeypatch.delenv("FDP_WATCHLIST")  # and back: SVBC's night replays as before
    replay(Settings.from_env())
    assert flights(settings) == before
