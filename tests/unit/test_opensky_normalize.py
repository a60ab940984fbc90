"""The OpenSky normalizer on fixtures in OpenSky's documented format."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from conftest import load_fixture

from pipeline.errors import SourceError
from pipeline.sources import opensky

DAY = date(2025, 11, 20)
WATCHED = ("SVBC", "SVMC", "SVMG", "SVMI", "SVVA")
AIRLINES = frozenset({"IBE", "VCV", "ROI", "LER", "THY", "GLO"})


def fixture_departures() -> list[dict]:
    return load_fixture("opensky/departure_SVMI_2025-11-20.json")


def fixture_arrivals() -> list[dict]:
    return load_fixture("opensky/arrival_SVMI_2025-11-20.json")


def normalize(departures=None, arrivals=None, watched=WATCHED):
    return opensky.normalize_flights(
        fixture_departures() if departures is None else departures,
        fixture_arrivals() if arrivals is None else arrivals,
        day=DAY, airport="SVMI", watched_airports=watched, airlines=AIRLINES,
    )


def by_callsign(frame: pd.DataFrame) -> dict:
    return {row.callsign: row for row in frame.itertuples() if row.callsign is not pd.NA}


def test_keeps_departures_and_only_arrivals_from_unwatched_origins():
    frame = normalize()
    # 6 departures + arrivals from LEMD, an unknown origin, LTFM and SBGR; the SVMC and SVMI
    # arrivals are loaded from those airports' departure lists instead.
    assert len(frame) == 10
    assert "VCV1021" not in set(frame["callsign"].dropna())
    assert frame["source_partition"].unique().tolist() == ["2025-11-20/SVMI"]


def test_same_flight_in_both_lists_is_kept_once():
    frame = normalize(watched=())  # nothing excluded: the dedupe alone must catch it
    assert len(frame) == 11
    assert (frame["callsign"] == "IBE9999").sum() == 1
    assert frame["flight_id"].is_unique


def test_callsign_is_trimmed_and_carrier_comes_from_its_icao_prefix():
    rows = by_callsign(normalize())
    assert rows["IBE6674"].carrier_icao == "IBE"
    assert rows["IBE6674"].flight_number == "6674"
    assert rows["THY224"].carrier_icao == "THY"
    # a registration is not an airline callsign
    assert rows["YV2345"].carrier_icao is pd.NA and rows["YV2345"].carrier_code is pd.NA


def test_unknown_designator_keeps_code_but_no_carrier():
    flight = fixture_departures()[0] | {"callsign": "XYZ123  "}
    row = normalize(departures=[flight], arrivals=[]).iloc[0]
    assert row["carrier_code"] == "XYZ"
    assert row["carrier_icao"] is pd.NA
    assert row["flight_number"] is pd.NA


def test_null_callsign_and_null_airports_survive_as_nulls():
    frame = normalize()
    no_callsign = frame[frame["callsign"].isna()]
    assert len(no_callsign) == 1 and no_callsign.iloc[0]["carrier_icao"] is pd.NA
    assert frame["origin_icao"].isna().sum() == 1  # LER7002: departure airport unknown
    assert frame["dest_icao"].isna().sum() == 1  # ROI1305: arrival airport unknown


def test_times_are_utc_and_flight_date_is_the_departure_day():
    rows = by_callsign(normalize())
    ibe = rows["IBE6674"]
    assert ibe.dep_time_utc == pd.Timestamp(datetime(2025, 11, 20, 22, 58, 12, tzinfo=UTC))
    assert ibe.arr_time_utc == pd.Timestamp(datetime(2025, 11, 21, 7, 31, 40, tzinfo=UTC))
    assert ibe.flight_date == pd.Timestamp("2025-11-20")
    # THY224 left Istanbul on 19 Nov: listed in 20 Nov arrivals, dated by its departure
    assert rows["THY224"].flight_date == pd.Timestamp("2025-11-19")
    assert str(normalize()["dep_time_utc"].dtype) == "datetime64[us, UTC]"


def test_flight_id_is_deterministic_and_independent_of_list_order():
    first = normalize()
    departures = list(reversed(fixture_departures()))
    second = normalize(departures=departures)
    pd.testing.assert_frame_equal(first, second)


def test_empty_day_gives_an_empty_frame_of_the_right_schema():
    frame = normalize(departures=[], arrivals=[])
    assert frame.empty
    assert list(frame.columns) == list(normalize().columns)


def test_missing_field_names_source_partition_and_field():
    broken = fixture_departures()
    del broken[2]["lastSeen"]
    with pytest.raises(SourceError, match=r"opensky 2025-11-20/SVMI: flight #2 lacks .*lastSeen"):
        normalize(departures=broken)


def test_non_object_flight_is_rejected():
    with pytest.raises(SourceError, match="flight #0 is not an object"):
        normalize(departures=[["3455d3", 1]], arrivals=[])


def test_arrival_before_departure_fails_the_schema():
    flight = fixture_departures()[0]
    flight["lastSeen"] = flight["firstSeen"] - 60
    with pytest.raises(Exception, match="arrival before departure"):
        normalize(departures=[flight], arrivals=[])


def test_day_window_is_one_utc_day_with_inclusive_end():
    begin, end = opensky.day_window(DAY)
    assert datetime.fromtimestamp(begin, UTC) == datetime(2025, 11, 20, tzinfo=UTC)
    assert end - begin == 86_399
