"""Flight-list imports (BTS on-time, ANAC VRA, OpenSky flight lists) on SYNTHETIC fixtures in
the published formats (tests/fixtures/flightlists/README.md)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
import zipfile
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURES

from pipeline import store
from pipeline.config import Settings
from pipeline.flightlists import bts, importer
from pipeline.flightlists.files import FlightListError, file_key, sniff_encoding
from pipeline.flightlists.importer import import_files
from pipeline.flightlists.mapping import load_reference
from pipeline.flightlists.opensky_flightlist import parse_utc
from pipeline.raw import RawZone
from pipeline.schemas import FLIGHTS, STRING

LISTS = FIXTURES / "flightlists"
BTS_CSV = LISTS / "On_Time_Reporting_Carrier_On_Time_Performance_(1987_present)_2024_3.csv"
BTS_KEY = "On_Time_Reporting_Carrier_On_Time_Performance_(1987_present)_2024_3"
BTS_ZIP_NAME = "On_Time_Reporting_Carrier_On_Time_Performance_1987_present_2024_3.zip"  # as served
VRA_2024, VRA_2019 = LISTS / "VRA_2024_03.csv", LISTS / "VRA_2019_01.csv"
OPENSKY = LISTS / "flightlist_20200401_20200430.csv"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"FDP_HOME": str(tmp_path / "fdp")})


def staged_rows(result: importer.ImportResult) -> pd.DataFrame:
    frames = [pd.read_parquet(part["staging_path"]) for part in result.staged]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def flight(rows: pd.DataFrame, carrier: str, number: str, day: str) -> pd.Series:
    [row] = rows[(rows["carrier_code"] == carrier) & (rows["flight_number"] == number)
                 & (rows["flight_date"] == pd.Timestamp(day))].itertuples(index=False)
    return pd.Series(row._asdict())


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def bts_month(path: Path, changes: list[dict[str, str]]) -> Path:
    """A BTS file in the published layout: the fixture's header, then one row per dict, each the
    fixture's first row with some columns changed."""
    header_line, template_line = BTS_CSV.read_text(encoding="utf-8").splitlines()[:2]
    header, template = (next(csv.reader([line])) for line in (header_line, template_line))
    position = {name: i for i, name in enumerate(header)}
    out = io.StringIO()
    out.write(header_line + "\n")
    writer = csv.writer(out, lineterminator="\n")
    for change in changes:
        row = list(template)
        for name, value in change.items():
            row[position[name]] = value
        writer.writerow(row)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def bts_zip(path: Path, csv_bytes: bytes) -> Path:
    """As BTS ships a month: the CSV and a readme.html in one zip."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.html", "<html>record layout</html>")
        archive.writestr(f"{BTS_KEY}.csv", csv_bytes)
    return path


# --- BTS ------------------------------------------------------------------------------------

def packed(tmp_path: Path, packing: str) -> Path:
    if packing == "gz":
        path = tmp_path / f"{BTS_KEY}.csv.gz"
        with gzip.open(path, "wb") as stream:
            stream.write(BTS_CSV.read_bytes())
        return path
    if packing == "zip":
        return bts_zip(tmp_path / BTS_ZIP_NAME, BTS_CSV.read_bytes())
    return BTS_CSV


@pytest.mark.parametrize("packing", ["plain", "gz", "zip"])
def test_bts_month_plain_gzip_or_zip(tmp_path, settings, packing):
    path = packed(tmp_path, packing)
    result = import_files([path], "bts-ontime", settings)
    summary = result.summary
    assert summary["partitions"] == [f"2024-03/{raw_key(path)}"]
    assert raw_key(path).startswith(f"{BTS_KEY}@")  # a zip is named after its CSV
    assert (summary["rows_read"], summary["rows_staged"]) == (14, 9)
    assert summary["rows_by_status"] == {"cancelled": 1, "completed": 7, "diverted": 1}
    assert summary["days_touched"] == ["2024-03-05", "2024-03-06", "2024-03-09", "2024-03-10",
                                       "2024-03-31"]
    [part] = result.staged
    assert part["source"] == "bts" and part["table"] == "flights" and part["rows"] == 9
    assert part["raw_sha256"] == summary["files"][0]["sha256"]
    FLIGHTS.validate(pd.read_parquet(part["staging_path"]))


def test_bts_scheduled_departure_is_local_time_at_the_origin_across_dst(settings):
    rows = staged_rows(import_files([BTS_CSV], "bts-ontime", settings))
    before = flight(rows, "AA", "1", "2024-03-09")  # 07:00 EST
    on_dst_day = flight(rows, "AA", "1", "2024-03-10")  # 07:00 EDT: clocks went forward at 2am
    assert before["sched_dep_utc"] == utc("2024-03-09 12:00")
    assert on_dst_day["sched_dep_utc"] == utc("2024-03-10 11:00")
    # both arrive at 10:21 local in Los Angeles, which also changed to PDT
    assert on_dst_day["arr_time_utc"] == utc("2024-03-10 17:21")
    assert before["dep_time_utc"] == utc("2024-03-09 11:56")  # DepDelay -4
    assert before["arr_time_utc"] == utc("2024-03-09 18:13")  # 10:13 PST = ArrTime


def test_bts_overnight_flight_and_2400(settings):
    rows = staged_rows(import_files([BTS_CSV], "bts-ontime", settings))
    red_eye = flight(rows, "UA", "2200", "2024-03-05")  # SFO 22:45 PST -> EWR 07:15 EST next day
    assert red_eye["flight_date"] == pd.Timestamp("2024-03-05")  # BTS's local departure day
    assert red_eye["sched_dep_utc"] == utc("2024-03-06 06:45")
    assert red_eye["dep_time_utc"] == utc("2024-03-06 07:05")
    assert red_eye["arr_time_utc"] == utc("2024-03-06 12:20")  # ArrTime 0720 EST
    midnight = flight(rows, "WN", "100", "2024-03-05")  # CRSDepTime "2400" at LAS
    assert midnight["sched_dep_utc"] == utc("2024-03-06 08:00")  # Mar 6 00:00 PST
    assert midnight["arr_time_utc"] == utc("2024-03-06 09:10")  # 02:10 in Phoenix (MST)


def test_bts_arrival_matches_the_published_local_arrival_clock(settings):
    """The formula never reads ArrTime; for every flown row it must agree with it anyway."""
    rows = staged_rows(import_files([BTS_CSV], "bts-ontime", settings))
    published = pd.read_csv(BTS_CSV, dtype=str, keep_default_na=False)
    zones = load_reference().airport_tz
    checked = 0
    for row in rows[rows["arr_time_utc"].notna() & rows["dest_icao"].notna()].itertuples():
        [source] = published[(published["Reporting_Airline"] == row.carrier_code)
                             & (published["Flight_Number_Reporting_Airline"] == row.flight_number)
                             & (published["FlightDate"] == f"{row.flight_date:%Y-%m-%d}")
                             ]["ArrTime"].drop_duplicates()
        local = row.arr_time_utc.tz_convert(zones[row.dest_icao])
        assert f"{local:%H%M}" == source.replace("2400", "0000"), row
        checked += 1
    assert checked == 5


def test_bts_cancelled_and_diverted(settings):
    rows = staged_rows(import_files([BTS_CSV], "bts-ontime", settings))
    cancelled = flight(rows, "OO", "5000", "2024-03-05")
    assert cancelled["status"] == "cancelled"
    assert cancelled["sched_dep_utc"] == utc("2024-03-05 19:00")  # 12:00 MST in Denver
    assert pd.isna(cancelled["dep_time_utc"]) and pd.isna(cancelled["arr_time_utc"])
    diverted = flight(rows, "DL", "300", "2024-03-05")
    assert diverted["status"] == "diverted"
    assert diverted["dep_time_utc"] == utc("2024-03-05 13:05")
    assert pd.isna(diverted["arr_time_utc"])  # it never arrived at MCO


def test_bts_codes_are_mapped_to_icao_and_unresolved_ones_kept_and_counted(settings):
    result = import_files([BTS_CSV], "bts-ontime", settings)
    rows = staged_rows(result)
    aa = flight(rows, "AA", "1", "2024-03-09")
    assert (aa["carrier_icao"], aa["origin_icao"], aa["dest_icao"]) == ("AAL", "KJFK", "KLAX")
    assert (aa["origin_code"], aa["dest_code"]) == ("JFK", "LAX")
    assert flight(rows, "OH", "5179", "2024-03-05")["carrier_icao"] == "JIA"
    unknown = flight(rows, "ZZ", "123", "2024-03-06")
    assert pd.isna(unknown["carrier_icao"]) and pd.isna(unknown["dest_icao"])
    assert (unknown["carrier_code"], unknown["dest_code"]) == ("ZZ", "XQZ")
    assert unknown["arr_time_utc"] == utc("2024-03-06 18:30")  # times need only the origin zone
    assert result.summary["unresolved_airports"] == {"XQZ": 1}
    assert result.summary["unresolved_carriers"] == {"ZZ": 1}


def test_bts_unresolved_origin_keeps_the_flight_without_times(tmp_path, settings):
    path = bts_month(tmp_path / "extra.csv", [{"Origin": "XQZ"}, {"Origin": "QQX", "Dest": "XQZ"}])
    result = import_files([path], "bts-ontime", settings)
    rows = staged_rows(result)
    assert len(rows) == 2 and rows["sched_dep_utc"].isna().all()  # no zone, no UTC time
    assert rows["flight_date"].tolist() == [pd.Timestamp("2024-03-09")] * 2
    assert result.summary["unresolved_airports"] == {"XQZ": 2, "QQX": 1}


def test_carrier_iata_code_reused_over_the_years_maps_by_flight_date(tmp_path, settings):
    path = bts_month(tmp_path / "reused.csv", [
        {"FlightDate": "2011-05-02", "Reporting_Airline": "OH"},  # Comair held OH until 2012
        {"FlightDate": "2024-03-09", "Reporting_Airline": "OH"},  # PSA since
    ])
    rows = staged_rows(import_files([path], "bts-ontime", settings))
    assert dict(zip(rows["flight_date"].dt.year, rows["carrier_icao"], strict=True)) == {
        2011: "COM", 2024: "JIA"}


def test_reused_code_periods_are_half_open(tmp_path):
    curated = tmp_path / "airlines.csv"
    curated.write_text("icao,iata,name,country,valid_from,valid_to,note\n"
                       "OLD,Q5,Old Air,US,,2020-06-01,\n"
                       "NEW,Q5,New Air,US,2020-06-01,,\n"
                       ",Q6,No ICAO Air,US,,,\n", encoding="utf-8")
    ref = load_reference(curated)
    codes = pd.Series(["Q5", "Q5", "Q6", "Q7", None], dtype=STRING)
    days = pd.Series(pd.to_datetime(["2020-05-31", "2020-06-01", "2020-06-01", "2020-06-01",
                                     "2020-06-01"])).astype("datetime64[us]")
    assert ref.carriers_from_iata(codes, days).tolist() == ["OLD", "NEW", pd.NA, pd.NA, pd.NA]
    assert load_reference().carriers_from_iata(
        pd.Series(["AZ", "AZ"], dtype=STRING),
        pd.Series(pd.to_datetime(["2021-10-14", "2021-10-15"])).astype("datetime64[us]"),
    ).tolist() == ["AZA", "ITY"]  # Alitalia, then ITA Airways (README of the reference)
    assert load_reference().carriers_from_iata(  # BTS carriers of 2001 that are gone
        pd.Series(["HP", "HP", "TW", "TW"], dtype=STRING),
        pd.Series(pd.to_datetime(["2001-03-01", "2007-09-25", "2001-12-01", "2001-12-02"])
                  ).astype("datetime64[us]"),
    ).tolist() == ["AWE", pd.NA, "TWA", "TWB"]  # TW then went to T'way (README)
    assert load_reference().carriers_from_iata(  # BTS carriers of the 2000s that are gone
        pd.Series(["TZ", "TZ", "AQ", "AQ", "DH", "DH"], dtype=STRING),
        pd.Series(pd.to_datetime(["2008-04-02", "2008-04-03", "2008-03-31", "2008-04-01",
                                  "2006-01-05", "2006-01-06"])).astype("datetime64[us]"),
    ).tolist() == ["AMT", pd.NA, "AAH", pd.NA, "IDE", pd.NA]


def test_hhmm_clock_values():
    text = pd.Series(["0000", "0659", "2359", "2400", "5", "2360", "2401", "ab", ""],
                     dtype=STRING)
    assert bts.hhmm_minutes(text).tolist() == [0, 419, 1439, 1440, 5, pd.NA, pd.NA, pd.NA,
                                               pd.NA]


def test_bad_rows_are_reported_with_file_and_line_and_the_rest_loads(settings):
    summary = import_files([BTS_CSV], "bts-ontime", settings).summary
    name = BTS_CSV.name
    assert summary["bad_rows"] == {"count": 4, "first": [
        f"{name}:10: unparseable FlightDate '2024-02-30'",
        f"{name}:11: missing or invalid Origin ''",
        f"{name}:12: unknown Cancelled value '2.00'",
        f"{name}:13: unparseable CRSDepTime '2575'",
    ]}
    assert summary["warnings"] == {"count": 1, "first": [
        f"{name}:15: arrival before departure: ArrDelay dropped"]}
    assert summary["rows_read"] == (summary["rows_staged"] + summary["bad_rows"]["count"]
                                    + summary["duplicates"]["count"])


def test_only_the_first_twenty_problems_are_listed(tmp_path, settings):
    path = bts_month(tmp_path / "many.csv", [{"Cancelled": "x"}] * 25 + [{}])
    summary = import_files([path], "bts-ontime", settings, chunk_rows=7).summary
    assert summary["bad_rows"]["count"] == 25 and len(summary["bad_rows"]["first"]) == 20
    assert summary["bad_rows"]["first"][-1] == "many.csv:21: unknown Cancelled value 'x'"
    assert summary["rows_staged"] == 1


@pytest.mark.parametrize("chunk_rows", [2, 50_000])
def test_duplicate_rows_are_kept_once_within_and_across_chunks(settings, chunk_rows):
    result = import_files([BTS_CSV], "bts-ontime", settings, chunk_rows=chunk_rows)
    assert result.summary["duplicates"] == {"count": 1, "first": [
        f"{BTS_CSV.name}:14: duplicate of an earlier row: AA 1 JFK-LAX 2024-03-09T0700"]}
    rows = staged_rows(result)
    assert rows["flight_id"].is_unique and len(rows) == 9


def test_chunk_size_does_not_change_the_rows(tmp_path):
    def rows(chunk_rows: int) -> pd.DataFrame:
        settings = Settings.from_env({"FDP_HOME": str(tmp_path / str(chunk_rows))})
        frame = staged_rows(import_files([BTS_CSV], "bts-ontime", settings,
                                         chunk_rows=chunk_rows))
        return frame.sort_values("flight_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(rows(3), rows(50_000))


# --- ANAC VRA -------------------------------------------------------------------------------

def test_anac_clocks_are_brasilia_time_and_flight_date_is_the_origins_local_day(settings):
    result = import_files([VRA_2024], "anac-vra", settings)
    rows = staged_rows(result)
    gol = flight(rows, "GLO", "1234", "2024-03-05")
    assert (gol["sched_dep_utc"], gol["dep_time_utc"], gol["arr_time_utc"]) == (
        utc("2024-03-05 11:00"), utc("2024-03-05 11:10"), utc("2024-03-05 12:12"))
    assert (gol["carrier_icao"], gol["origin_icao"], gol["dest_icao"]) == ("GLO", "SBGR", "SBRJ")
    # 00:30 Brasília on 6 March is 23:30 on 5 March in Manaus, where the flight leaves
    manaus = flight(rows, "AZU", "4001", "2024-03-05")
    assert manaus["sched_dep_utc"] == utc("2024-03-06 03:30")
    # a foreign arrival is written in Brasília time too
    miami = flight(rows, "TAM", "8190", "2024-03-05")
    assert miami["arr_time_utc"] == utc("2024-03-06 11:40")


def test_anac_statuses(settings):
    result = import_files([VRA_2024], "anac-vra", settings)
    rows = staged_rows(result)
    assert result.summary["rows_by_status"] == {"cancelled": 1, "completed": 5, "scheduled": 1}
    cancelled = flight(rows, "GLO", "1500", "2024-03-07")
    assert cancelled["status"] == "cancelled" and pd.isna(cancelled["dep_time_utc"])
    assert flight(rows, "AZU", "2000", "2024-03-07")["status"] == "scheduled"  # NÃO INFORMADO
    unplanned = flight(rows, "AZU", "9001", "2024-03-08")  # flew without a schedule
    assert pd.isna(unplanned["sched_dep_utc"])
    assert unplanned["dep_time_utc"] == utc("2024-03-08 17:00")


def test_anac_bad_rows_duplicates_and_unresolved_codes(settings):
    summary = import_files([VRA_2024], "anac-vra", settings).summary
    assert summary["bad_rows"]["first"] == [
        "VRA_2024_03.csv:7: unknown Situação Voo 'DESVIADO'",
        "VRA_2024_03.csv:8: unparseable Partida Prevista '31/02/2024 08:00'",
        "VRA_2024_03.csv:9: missing or invalid Sigla ICAO Aeroporto Origem ''",
    ]
    assert summary["duplicates"]["first"] == [
        "VRA_2024_03.csv:11: duplicate of an earlier row: GLO 1234 SBGR-SBRJ 2024-03-05T08:00"]
    assert summary["unresolved_airports"] == {"GIG": 1}  # an IATA code in an ICAO column
    assert summary["unresolved_carriers"] == {}


def test_anac_latin1_file_with_older_column_names_and_brasilia_summer_time(settings):
    assert sniff_encoding(VRA_2019) == "latin-1"
    assert sniff_encoding(VRA_2024) == "utf-8-sig"
    rows = staged_rows(import_files([VRA_2019], "anac-vra", settings))
    # January 2019: Brasília on summer time, UTC-2
    assert flight(rows, "GLO", "1000", "2019-01-15")["sched_dep_utc"] == utc("2019-01-15 10:00")
    assert flight(rows, "TAM", "3000", "2019-01-15")["status"] == "cancelled"


@pytest.mark.parametrize(("note", "sched_dep_utc"), [
    ("Importante: Horários em UTC", "2024-03-05 08:00"),
    ("Atualizado em: 2024-04-02 10:00 UTC", "2024-03-05 11:00"),  # not about the clocks
])
def test_anac_file_that_says_its_times_are_utc(tmp_path, settings, note, sched_dep_utc):
    lines = VRA_2024.read_text(encoding="utf-8-sig").splitlines()
    path = tmp_path / "VRA_2024_03_note.csv"
    path.write_text("\r\n".join([note, lines[0], lines[1]]) + "\r\n", encoding="utf-8-sig")
    result = import_files([path], "anac-vra", settings)
    [row] = staged_rows(result).itertuples()
    assert row.sched_dep_utc == utc(sched_dep_utc)
    assert result.summary["bad_rows"]["count"] == 0  # the header on line 2 was found


def test_a_file_with_a_header_and_no_rows_stages_nothing(tmp_path, settings):
    path = tmp_path / "empty.csv"
    path.write_text(BTS_CSV.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    result = import_files([path], "bts-ontime", settings)
    assert result.staged == [] and result.summary["rows_read"] == 0


# --- OpenSky flight lists -------------------------------------------------------------------

def test_opensky_flightlist(settings):
    result = import_files([OPENSKY], "opensky-flightlist", settings)
    summary, rows = result.summary, staged_rows(result)
    assert summary["partitions"] == [f"2020-03/{raw_key(OPENSKY)}", f"2020-04/{raw_key(OPENSKY)}"]
    assert (summary["rows_read"], summary["rows_staged"]) == (9, 6)
    assert summary["rows_by_status"] == {"completed": 6}
    gol = flight(rows, "GLO", "1234", "2020-04-01")
    assert (gol["carrier_icao"], gol["callsign"], gol["icao24"]) == ("GLO", "GLO1234", "e48a5c")
    assert gol["dep_time_utc"] == utc("2020-04-01 11:02:10")
    assert pd.isna(gol["sched_dep_utc"])
    night = flight(rows, "AFR", "402", "2020-03-31")  # the UTC day of firstseen, not `day`
    assert night["arr_time_utc"] == utc("2020-04-01 10:21:40")
    private = rows[rows["callsign"] == "PRXYZ"].iloc[0]
    assert pd.isna(private["carrier_code"]) and pd.isna(private["carrier_icao"])
    assert summary["unresolved_carriers"] == {"XYZ": 1}  # a prefix that is no known airline
    assert summary["rows_without_airport"] == 1
    assert summary["bad_rows"]["first"] == [
        f"{OPENSKY.name}:6: missing or invalid icao24 'zzzzzz'",
        f"{OPENSKY.name}:7: missing or unparseable firstseen 'yesterday'"]
    assert summary["warnings"]["first"] == [
        f"{OPENSKY.name}:9: lastseen before firstseen: lastseen dropped"]
    assert summary["duplicates"]["count"] == 1


def test_opensky_times_iso_or_unix_seconds():
    text = pd.Series(["2020-04-01 11:02:10+00:00", "1585738930", "2020-04-01T13:02:10+02:00",
                      "2020-04-01 11:02:10", "", "soon"], dtype=STRING)
    assert parse_utc(text).tolist() == [utc("2020-04-01 11:02:10")] * 4 + [pd.NaT] * 2


# --- files, raw zone, errors ----------------------------------------------------------------

def test_file_keys():
    assert file_key(Path("a/VRA_2024_03.csv")) == "VRA_2024_03"
    assert file_key(Path("flightlist_20200401_20200430.csv.gz")) == "flightlist_20200401_20200430"


def raw_key(path: Path) -> str:
    """The raw-zone partition of an imported file: its name and the hash of its full path."""
    return f"{file_key(path)}@{importer.path_id(path)}"


def test_input_file_is_copied_into_the_raw_zone(settings):
    import_files([BTS_CSV], "bts-ontime", settings)
    zone = RawZone(settings.raw_dir)
    [record] = zone.latest("bts", raw_key(BTS_CSV))
    assert (record.request, record.status, record.url) == ("file", 200, BTS_CSV.resolve().as_uri())
    assert zone.read(record) == BTS_CSV.read_bytes()


def test_file_over_the_copy_limit_is_recorded_but_not_copied(settings, monkeypatch):
    monkeypatch.setattr(importer, "RAW_COPY_MAX_BYTES", 1000)
    result = import_files([BTS_CSV], "bts-ontime", settings)
    [record] = RawZone(settings.raw_dir).latest("bts", raw_key(BTS_CSV))
    digest = importer.file_sha256(BTS_CSV)
    assert (record.usable, record.bytes, record.params["sha256"]) == (False, 0, digest)
    assert f"sha256 {digest}" in record.note
    assert result.staged[0]["raw_sha256"] == digest
    assert result.summary["files"][0]["copied"] is False


def test_wrong_format_unknown_format_and_ambiguous_files(tmp_path, settings):
    with pytest.raises(FlightListError, match="no header line"):
        import_files([BTS_CSV], "anac-vra", settings)
    with pytest.raises(FlightListError, match="unknown format"):
        import_files([BTS_CSV], "bts", settings)
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("a.csv", "x")
        archive.writestr("b.csv", "y")
    with pytest.raises(FlightListError, match="one CSV file inside the zip"):
        import_files([two], "bts-ontime", settings)
    with pytest.raises(FlightListError, match="no such file"):
        import_files([tmp_path / "nope.csv"], "bts-ontime", settings)


# --- memory ---------------------------------------------------------------------------------

MEMORY_PROBE = """
import json, sys, tracemalloc
from pathlib import Path
import pyarrow as pa
from pipeline.config import Settings
from pipeline.flightlists.importer import import_files
from pipeline.flightlists.mapping import load_reference
reference = load_reference()  # fixed size, whatever the file
tracemalloc.start()
result = import_files([Path(sys.argv[1])], "bts-ontime",
                      Settings.from_env({"FDP_HOME": sys.argv[2]}),
                      reference=reference, chunk_rows=int(sys.argv[3]))
print(json.dumps({"traced": tracemalloc.get_traced_memory()[1],
                  "arrow": pa.default_memory_pool().max_memory(),
                  "rows": result.summary["rows_staged"]}))
"""
ROWS, CHUNK = 200_000, 10_000
# Measured on this 200k-row month (~72 MB of CSV, zipped): streamed in 10k-row chunks the
# import peaks at ~14 MB traced by tracemalloc + ~8 MB in Arrow's pool (pandas' strings live
# there, where tracemalloc cannot see them); read as one chunk, it peaks at ~57 + ~120 MB, and
# that grows with the file. Bound: 48 MB for both together, about twice the streamed figure
# and a quarter of the one-chunk one. The streamed floor is one chunk in flight (~10 MB), the
# flight_ids seen so far (20 bytes a flight, up to 3 copies while merging: ~12 MB) and the
# zipped file copied into the raw zone (~1.4 MB).
BOUND = 48 * 1024 * 1024


@pytest.mark.slow
def test_a_bts_month_is_streamed_in_bounded_memory(tmp_path):
    header_line, template_line = BTS_CSV.read_text(encoding="utf-8").splitlines()[:2]
    header, template = (next(csv.reader([line])) for line in (header_line, template_line))
    col = {name: i for i, name in enumerate(header)}
    path = tmp_path / BTS_ZIP_NAME
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open(f"{BTS_KEY}.csv", "w") as member, \
            io.TextIOWrapper(member, encoding="utf-8", newline="") as text:
        text.write(header_line + "\n")
        writer = csv.writer(text, lineterminator="\n")
        for i in range(ROWS):
            row, day = list(template), 1 + i % 31
            row[col["DayofMonth"]], row[col["FlightDate"]] = str(day), f"2024-03-{day:02d}"
            row[col["Flight_Number_Reporting_Airline"]] = str(i // 31)
            row[col["CRSDepTime"]] = f"{(i // 31) % 24:02d}{i % 60:02d}"
            writer.writerow(row)
    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(path), str(tmp_path / "fdp"), str(CHUNK)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2])
    measured = json.loads(probe.stdout)
    print(f"peak: {measured['traced'] / 1e6:.1f} MB traced + {measured['arrow'] / 1e6:.1f} MB "
          "Arrow")
    assert measured["rows"] == ROWS
    assert measured["traced"] + measured["arrow"] < BOUND


# --- end to end -----------------------------------------------------------------------------

def import_and_load(settings: Settings, run_id: str, *paths: Path) -> dict:
    return importer.import_and_load(list(paths), "bts-ontime", settings, run_id)


def bts_table(settings: Settings) -> pd.DataFrame:
    with store.connect_published(settings) as con:
        return con.execute("SELECT * FROM flights WHERE source = 'bts'").df()


def test_load_into_duckdb_then_reimport_replaces_instead_of_duplicating(tmp_path, settings):
    path = tmp_path / BTS_CSV.name
    path.write_bytes(BTS_CSV.read_bytes())
    other = bts_month(tmp_path / "extra_2024_03.csv", [{"Flight_Number_Reporting_Airline": "99"}])

    def statuses(summary: dict) -> list[str]:
        return [r["status"] for r in summary["loaded"]]

    import_and_load(settings, "run-1", path, other)
    first = bts_table(settings)
    assert first.groupby("source_partition").size().to_dict() == {
        f"2024-03/{raw_key(path)}": 9, f"2024-03/{raw_key(other)}": 1}  # files coexist
    unknown = first[first["carrier_code"] == "ZZ"].iloc[0]
    assert unknown["dest_code"] == "XQZ" and pd.isna(unknown["dest_icao"])
    assert first.loc[first["flight_number"] == "300", "status"].tolist() == ["diverted"]

    assert statuses(import_and_load(settings, "run-2", path)) == ["unchanged"]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:2] + lines[3:]), encoding="utf-8")  # drop the DST-day flight
    assert statuses(import_and_load(settings, "run-3", path)) == ["loaded"]
    after = bts_table(settings)
    assert len(after) == 9 and after["flight_id"].is_unique
    assert pd.Timestamp("2024-03-10") not in set(after["flight_date"])
    assert set(after.loc[after["source_partition"] == f"2024-03/{raw_key(path)}", "run_id"]
               ) == {"run-3"}


def test_two_files_with_one_name_in_different_folders_both_stay(tmp_path, settings):
    """a/ontime.csv, then b/ontime.csv: b must not replace a's rows."""
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    a = bts_month(tmp_path / "a" / "ontime.csv", [{"Flight_Number_Reporting_Airline": "11"}])
    b = bts_month(tmp_path / "b" / "ontime.csv", [{"Flight_Number_Reporting_Airline": "22"}])
    import_and_load(settings, "run-a", a)
    import_and_load(settings, "run-b", b)
    assert sorted(bts_table(settings)["flight_number"]) == ["11", "22"]


def test_the_same_content_under_another_name_is_a_no_op(tmp_path, settings):
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(BTS_CSV.read_bytes())
    import_and_load(settings, "run-1", BTS_CSV)
    before = bts_table(settings)
    summary = import_and_load(settings, "run-2", copy)
    assert summary["loaded"] == [] and summary["skipped"]
    assert "the same content is already loaded" in summary["skipped"][0]
    pd.testing.assert_frame_equal(bts_table(settings), before)


def test_overlapping_files_store_each_flight_once(tmp_path, settings):
    """The BTS zip and the CSV extracted from it (or two overlapping downloads) give the same
    flights: stored once, from the newer import, and load_log counts the merge."""
    zipped = bts_zip(tmp_path / BTS_ZIP_NAME, BTS_CSV.read_bytes())
    edited = tmp_path / "edited.csv"  # not byte-identical: one more flight
    edited.write_bytes(bts_month(tmp_path / "x.csv", [{"Flight_Number_Reporting_Airline": "7"}])
                       .read_bytes() + BTS_CSV.read_bytes().split(b"\n", 1)[1])
    import_and_load(settings, "run-1", zipped)
    summary = import_and_load(settings, "run-2", edited)
    table = bts_table(settings)
    assert table["flight_id"].is_unique and len(table) == 10
    assert sum(r["merged"] for r in summary["loaded"]) == 9


def test_an_unreadable_file_is_logged_as_failed_and_published(tmp_path, settings):
    import_and_load(settings, "run-1", BTS_CSV)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(FlightListError, match=r"broken\.zip"):
        import_and_load(settings, "run-2", broken)
    with store.connect_published(settings) as con:
        failed = con.execute("SELECT \"partition\", status, message FROM load_log "
                             "WHERE run_id = 'run-2'").fetchall()
    assert [(p, s) for p, s, _ in failed] == [(f"broken.zip@{importer.path_id(broken)}",
                                               "failed")]
    assert "broken.zip" in failed[0][2]


def test_staged_partition_dicts_round_trip(settings):
    [part] = import_files([BTS_CSV], "bts-ontime", settings).staged
    assert asdict(store.StagedPartition(**part)) == part
