"""FAA NOTAM API source: normalizer on fixtures in the API's geoJson format, the categorize
rules, fetch against a real local HTTP server, and the demo replay."""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import FIXTURES, table_checksum
from werkzeug import Request
from werkzeug import Response as HttpResponse
from werkzeug.serving import WSGIRequestHandler

from pipeline import store
from pipeline.config import FAA_NOTAM_API_URL, Settings, credentials_from_env
from pipeline.demo import notam_replay
from pipeline.errors import SourceError
from pipeline.raw import RawRecord, RawZone
from pipeline.sources import faa_notam
from pipeline.sources.base import FetchContext, NormalizeContext, Response
from pipeline.staging import content_sha256, write_parquet
from pipeline.watchlist import load_watchlist

DAY = date(2025, 11, 21)
FETCHED_AT = datetime(2025, 11, 22, 0, 5, tzinfo=UTC)
API_PATH = "/notamapi/v1"
CLIENT_ID = "fdp-test-client-id-4b1d"
CLIENT_SECRET = "s3cret-NOTAM-value-never-logged"
KICZ = "KICZ A0012/25"
COLUMNS = {
    "notice_id": "string", "notice_key": "string", "issuer": "string", "fir": "string",
    "affected_fir": "string", "location": "string", "classification": "string",
    "notam_type": "string", "replaces_notice_id": "string", "category": "string",
    "effective_start": "datetime64[us, UTC]", "effective_end": "datetime64[us, UTC]",
    "end_estimated": "bool", "lower_fl": "Int64", "upper_fl": "Int64",
    "issued": "datetime64[us, UTC]", "text": "string", "source_url": "string",
    "source": "string", "source_partition": "string",
}


def utc(*args: int) -> pd.Timestamp:
    return pd.Timestamp(datetime(*args, tzinfo=UTC))


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / "faa_notam" / name).read_text(encoding="utf-8"))


def pages() -> list[dict]:
    return [fixture("SVZM_page-1.json"), fixture("SVZM_page-2.json")]


def as_responses(bodies: list[dict], location: str = "SVZM", day: date = DAY
                 ) -> list[Response]:
    return [
        Response(RawRecord(
            source=faa_notam.SOURCE, partition=f"{day}/{location}", fetch_id="f",
            request=f"page-{n}", url=f"{FAA_NOTAM_API_URL}/notams",
            params=faa_notam.request_params(location, n),
            status=200, fetched_at=FETCHED_AT.isoformat(), sha256="", bytes=0, file=""),
            json.dumps(body).encode())
        for n, body in enumerate(bodies, start=1)
    ]


def normalize(bodies: list[dict] | None = None, location: str = "SVZM", day: date = DAY
              ) -> pd.DataFrame:
    ctx = NormalizeContext(Settings.from_env(), load_watchlist(), frozenset())
    return faa_notam.normalize(as_responses(pages() if bodies is None else bodies, location, day),
                               ctx, day, location)


def row(frame: pd.DataFrame, notice_id: str) -> pd.Series:
    [index] = frame.index[frame["notice_id"] == notice_id]
    return frame.loc[index]


def notam_of(item: dict) -> dict:
    return item["properties"]["coreNOTAMData"]["notam"]


# --- normalize --------------------------------------------------------------------------

def test_columns_and_dtypes_are_the_contract():
    frame = normalize()
    assert {c: str(t) for c, t in frame.dtypes.items()} == COLUMNS
    assert list(frame.columns) == list(COLUMNS)


def test_real_advisory_is_identified_as_icao_writes_it():
    notice = row(normalize(), KICZ)
    assert (notice.issuer, notice.fir, notice.location) == ("KICZ", "SVZM", "SVZM")
    assert (notice.classification, notice.notam_type) == ("INTL", "N")
    assert notice.category == "advisory"
    assert notice.text == notam_of(pages()[0]["items"][0])["text"]
    assert notice.text.startswith("SECURITY..UNITED STATES OF AMERICA ADVISORY FOR POTENTIALLY")
    assert (notice.source, notice.source_partition) == ("faa_notam", "2025-11-21/SVZM")


def test_times_are_utc_and_levels_are_flight_levels():
    notice = row(normalize(), KICZ)
    assert notice.effective_start == utc(2025, 11, 21, 17, 43)
    assert notice.effective_end == utc(2026, 2, 19, 23, 59)
    assert notice.issued == utc(2025, 11, 21, 18, 8)
    assert not notice.end_estimated
    assert (notice.lower_fl, notice.upper_fl) == (0, 999)  # SFC-UNL


def test_source_url_is_the_page_without_secrets():
    frame = normalize()
    assert row(frame, KICZ).source_url == (
        f"{FAA_NOTAM_API_URL}/notams?icaoLocation=SVZM&pageNum=1&pageSize=1000"
        "&responseFormat=geoJson")
    assert row(frame, "SVMI A2003/25").source_url.endswith("pageNum=2&pageSize=1000"
                                                            "&responseFormat=geoJson")


def test_notam_listed_on_two_pages_is_kept_once():
    frame = normalize()
    # five items, A2002/25 on both pages; the AFTN address SVMIYNYX is the NOTAM office SVMI
    assert frame["notice_id"].tolist() == [KICZ, "SVMI A2001/25", "SVMI A2002/25",
                                           "SVMI A2003/25"]


@pytest.mark.parametrize("newer_page", [0, 1])
def test_newest_last_updated_wins_whatever_the_page(newer_page):
    bodies = pages()
    copies = [notam_of(bodies[0]["items"][2]), notam_of(bodies[1]["items"][0])]
    copies[newer_page].update(lastUpdated="2025-11-21T06:00:00.000Z", text="TWY B CLSD")
    notice = row(normalize(bodies), "SVMI A2002/25")
    assert (notice.text, notice.category) == ("TWY B CLSD", "closure")


def test_permanent_notam_has_no_end():
    notice = row(normalize(), "SVMI A2002/25")
    assert notice.effective_end is pd.NaT and not notice.end_estimated
    assert notice.category == "other"


def test_estimated_end_keeps_the_time_and_is_flagged():
    notice = row(normalize(), "SVMI A2003/25")
    assert notice.effective_end == utc(2025, 12, 5, 23, 59)
    assert notice.end_estimated
    assert notice.upper_fl == 50
    assert not row(normalize(), "SVMI A2001/25").end_estimated


def test_domestic_and_fdc_numbers_and_missing_fir():
    # The shape of the FDC NOTAM in a captured answer (batjko/oshkosh-approach): no series,
    # no affectedFIR, no flight levels, EST only in the texts.
    item = copy.deepcopy(pages()[0]["items"][0])
    core = item["properties"]["coreNOTAMData"]
    core["notam"] = {
        "id": "NOTAM_1_69074219", "number": "3/8210", "type": "N",
        "issued": "2023-07-18T16:42:00.000Z", "location": "OSH",
        "effectiveStart": "2023-07-18T16:41:00.000Z", "effectiveEnd": "2025-07-18T16:41:00.000Z",
        "text": "ODP WITTMAN RGNL, OSHKOSH, WI. 2307181641-2507181641EST",
        "classification": "FDC", "accountId": "FDC", "lastUpdated": "2023-07-18T16:42:00.000Z",
        "icaoLocation": "KOSH",
    }
    core["notamTranslation"] = [{"type": "LOCAL_FORMAT", "simpleText": "!FDC 3/8210 OSH ODP"}]
    body = {"pageSize": 1000, "pageNum": 1, "totalCount": 1, "totalPages": 1, "items": [item]}
    notice = normalize([body], location="KOSH").iloc[0]
    assert (notice.notice_id, notice.issuer, notice.fir) == ("FDC 3/8210", "FDC", "KOSH")
    assert notice.location == "KOSH" and notice.end_estimated
    assert notice.lower_fl is pd.NA and notice.upper_fl is pd.NA


@pytest.mark.parametrize(("number", "series", "expected"), [
    ("A0012/25", "A", "A0012/25"),  # international: the number carries the series
    ("0012/25", "A", "A0012/25"),
    ("07/025", None, "07/025"),  # US domestic
    ("09/050", "A", "09/050"),  # a domestic number with a series: not an ICAO number
    ("3/8210", None, "3/8210"),  # FDC
])
def test_icao_number(number, series, expected):
    assert faa_notam.icao_number(number, series) == expected


@pytest.mark.parametrize(("account", "issuer"), [("KICZ", "KICZ"), ("EDDZYNYX", "EDDZ"),
                                                 ("OSH", "OSH"), ("FDC", "FDC")])
def test_issuer_is_the_notam_office(account, issuer):
    assert faa_notam.issuer_of(account) == issuer


# --- FIR, key and what a notice replaces ------------------------------------------------

def kzfw() -> dict:
    """SYNTHETIC answer for KZFW: domestic GDJ 11/007 (affectedFIR ZFW), international
    KZFW A0101/25 (affectedFIR KZFW) and FDC 5/1234 (no affectedFIR)."""
    return fixture("KZFW_page-1.json")


def test_artcc_and_icao_forms_of_a_fir_are_one_fir():
    frame = normalize([kzfw()], location="KZFW").set_index("notice_id")
    assert frame["fir"].to_dict() == {"FDC 5/1234": "KZFW", "GDJ 11/007": "KZFW",
                                      "KZFW A0101/25": "KZFW"}
    # the API's own value stays, the FDC NOTAM had none (its fir is the location asked for)
    assert frame["affected_fir"].fillna("-").to_dict() == {
        "FDC 5/1234": "-", "GDJ 11/007": "ZFW", "KZFW A0101/25": "KZFW"}


@pytest.mark.parametrize(("affected", "fir"), [
    ("ZFW", "KZFW"), ("ZAU", "KZAU"), ("ZTL", "KZTL"), ("KZFW", "KZFW"),
    ("ZAN", "PAZA"), ("ZHN", "PHZH"), ("ZSU", "TJZS"), ("ZUA", "PGZU"),
    ("SVZM", "SVZM"), ("PAZA", "PAZA"),
])
def test_icao_fir(affected, fir):
    assert faa_notam.icao_fir(affected) == fir


def test_every_conus_artcc_is_k_and_its_identifier():
    conus = ["ZAB", "ZAU", "ZBW", "ZDC", "ZDV", "ZFW", "ZHU", "ZID", "ZJX", "ZKC", "ZLA", "ZLC",
             "ZMA", "ZME", "ZMP", "ZNY", "ZOA", "ZOB", "ZSE", "ZTL"]
    assert {a: faa_notam.icao_fir(a) for a in conus} == {a: f"K{a}" for a in conus}


def test_unknown_artcc_is_kept_and_warned_about_once(caplog):
    faa_notam._warn_unknown_fir.cache_clear()
    body = kzfw()
    for item in body["items"]:
        notam_of(item)["affectedFIR"] = "ZQQ"
    with caplog.at_level(logging.WARNING, logger=faa_notam.__name__):
        firs = [*normalize([body], location="KZFW")["fir"], *normalize([body], "KZFW")["fir"]]
    assert set(firs) == {"ZQQ"}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'ZQQ'" in warnings[0] and "ICAO_FIR_OF_ARTCC" in warnings[0]


def test_key_adds_the_year_only_to_numbers_without_one():
    frame = normalize([kzfw()], location="KZFW")
    assert dict(zip(frame["notice_id"], frame["notice_key"], strict=True)) == {
        "FDC 5/1234": "FDC 5/1234 2025", "GDJ 11/007": "GDJ 11/007 2025",
        "KZFW A0101/25": "KZFW A0101/25"}


def test_key_takes_the_start_year_when_the_issue_time_is_missing():
    body = kzfw()
    domestic = notam_of(body["items"][0])
    del domestic["issued"]
    domestic["effectiveStart"] = "2026-01-02T00:00:00.000Z"
    domestic["effectiveEnd"] = "2026-01-31T23:59:00.000Z"
    frame = normalize([body], location="KZFW")
    assert row(frame, "GDJ 11/007").notice_key == "GDJ 11/007 2026"


def test_cancellation_and_replacement_name_what_they_end():
    frame = normalize([fixture("SVZM_cancel-replace.json")], day=date(2025, 11, 23))
    assert dict(zip(frame["notice_id"], frame["replaces_notice_id"], strict=True)) == {
        "SVMI A2004/25": "SVMI A2002/25", "SVMI A2005/25": "SVMI A2003/25"}
    assert frame["notam_type"].tolist() == ["C", "R"]
    assert normalize()["replaces_notice_id"].isna().all()  # NOTAMN: replaces nothing


@pytest.mark.parametrize(("first_line", "replaces"), [
    ("A0008/23 NOTAMC A0013/19", "KICZ A0013/19"),
    ("(A0008/23 NOTAMR A0007/23", "KICZ A0007/23"),  # as AFTN messages open
    ("A0008/23 NOTAMN", None),
    ("A0009/23 NOTAMC A0013/19", None),  # another NOTAM's header
    ("E) SEE A0008/23 NOTAMC A0013/19", None),
])
def test_replaced_notice_is_read_from_the_first_line(first_line, replaces):
    text = f"{first_line}\nQ) SVZM/QXXXX/IV/NBO/E/000/999/\nA) SVZM"
    assert faa_notam.replaced_notice("KICZ", "A0008/23", ["E TEXT", text]) == replaces


def test_domestic_notamr_without_a_number_replaces_nothing_known():
    # The API's ICAO translation of a domestic NOTAM in a captured answer
    # (batjko/oshkosh-approach, OSH 07/015): "07/015 NOTAMR" names no NOTAM.
    text = "07/015 NOTAMR\nQ) KZAU/QOBXX/IV/M//000//4359N08833W005\nA) KOSH"
    assert faa_notam.replaced_notice("OSH", "07/015", [text]) is None


def test_empty_answer_gives_an_empty_frame_of_the_schema():
    frame = normalize([fixture("SKED_empty.json")], location="SKED")
    assert frame.empty
    assert {c: str(t) for c, t in frame.dtypes.items()} == COLUMNS


def test_missing_field_names_partition_page_and_field():
    bodies = pages()
    del notam_of(bodies[1]["items"][1])["accountId"]
    with pytest.raises(SourceError, match=r"faa_notam 2025-11-21/SVZM: page 2 item 1 lacks "
                                          r"fields \['accountId'\]"):
        normalize(bodies)


def test_item_that_is_not_a_notam_feature_is_rejected():
    bodies = pages()
    bodies[0]["items"][1] = {"type": "Point", "properties": {"name": "Dinagat Islands"}}
    with pytest.raises(SourceError, match="page 1 item 1 is not a NOTAM feature"):
        normalize(bodies)


def test_unparseable_time_is_rejected():
    bodies = pages()
    notam_of(bodies[0]["items"][0])["effectiveEnd"] = "19 FEB 2026"
    with pytest.raises(SourceError, match="effectiveEnd is not an ISO 8601 time"):
        normalize(bodies)


def test_raw_fetch_missing_a_page_is_refused():
    with pytest.raises(SourceError, match=r"the raw fetch has pages \[1\] of 2"):
        normalize(pages()[:1])


# --- categorize -------------------------------------------------------------------------

RULE_EXAMPLES = [  # one text per rule, in RULES order, that no earlier rule matches
    "U.S. OPERATORS ARE PROHIBITED FROM CONDUCTING FLIGHT OPERATIONS IN THE SVZM FIR",
    "SFAR 114 APPLIES TO U.S. OPERATORS BELOW FL260",
    "SVZM FIR AIRSPACE CLOSED TO ALL TRAFFIC",
    "RWY 10/28 CLSD",
    "OPERATORS SHOULD EXERCISE CAUTION NEAR THE BORDER",
    "POTENTIALLY HAZARDOUS SITUATION IN THE SVZM FIR",
    "MILITARY ACTIVITY OVER THE HIGH SEAS",
    "GPS INTERFERENCE MAY POSE A RISK TO NAVIGATION",
]


def first_rule(text: str) -> int:
    return next(n for n, (_, pattern, _) in enumerate(faa_notam.RULES) if pattern.search(text))


@pytest.mark.parametrize(("position", "text"), list(enumerate(RULE_EXAMPLES)))
def test_each_rule_decides_its_example(position, text):
    category, _pattern, why = faa_notam.RULES[position]
    assert first_rule(text) == position and why
    assert faa_notam.categorize(text) == category


def test_every_rule_has_an_example():
    assert len(RULE_EXAMPLES) == len(faa_notam.RULES)


@pytest.mark.parametrize(("text", "category"), [
    ("FLIGHTS ARE PROHIBITED. EXERCISE CAUTION, RISK OF MILITARY ACTIVITY", "prohibition"),
    ("AIRSPACE CLOSED DUE TO MILITARY ACTIVITY", "closure"),
    ("AIRSPACE CLOSED. FLIGHTS ARE PROHIBITED", "prohibition"),
    ("TWY B WIDTH REDUCED", "other"),
    ("ENCLOSED APRON MARKED AS ASTERISK", "other"),  # words, not fragments
])
def test_first_rule_in_order_wins(text, category):
    assert faa_notam.categorize(text) == category


@pytest.mark.parametrize(("text", "category"), [
    ("RWY 10/28 CLSD CANCELLED", "other"),  # it lifts the closure it repeats
    ("A2001/25 CNL", "other"),
    ("AIRSPACE CLOSED TO ALL TRAFFIC", "closure"),  # says nothing of cancelling
])
def test_cancellation_is_other_unless_its_text_says_otherwise(text, category):
    assert faa_notam.categorize(text, "C") == category


def test_same_wording_in_a_new_notam_is_not_a_cancellation():
    assert faa_notam.categorize("RWY 10/28 CLSD CANCELLED", "N") == "closure"


# --- loaded into DuckDB -----------------------------------------------------------------

def stage(tmp_path: Path, frame: pd.DataFrame, *, reload: str = "") -> store.StagedPartition:
    """The frame staged as the nightly run stages it; `reload` changes its fingerprint so
    that the load steps run again on the same rows."""
    [partition] = frame["source_partition"].unique()
    path = tmp_path / "staging" / f"{partition.replace('/', '_')}{reload}.parquet"
    write_parquet(frame, path)
    return store.StagedPartition(faa_notam.SOURCE, faa_notam.TABLE, partition, str(path),
                                 len(frame), "raw", content_sha256(frame) + reload)


def load(con: duckdb.DuckDBPyConnection, tmp_path: Path, *frames: pd.DataFrame,
         reload: str = "") -> None:
    for frame in frames:  # one night after another, as nightly runs would
        store.load_partitions(con, [stage(tmp_path, frame, reload=reload)], f"run{reload}")


def in_force(con: duckdb.DuckDBPyConnection, day: str) -> list[str]:
    return [n for (n,) in con.execute(
        "SELECT notice_id FROM airspace_notices_asof(CAST(? AS DATE)) ORDER BY 1", [day]
    ).fetchall()]


def svzm_nights() -> tuple[pd.DataFrame, pd.DataFrame]:
    """21 Nov: the two SVZM pages. 23 Nov: KICZ A0012/25 still listed, SVMI A2004/25 cancels
    the permanent A2002/25 and A2005/25 replaces the ILS outage A2003/25 (SYNTHETIC)."""
    later = fixture("SVZM_cancel-replace.json")
    later["items"].insert(0, pages()[0]["items"][0])
    return normalize(), normalize([later], day=date(2025, 11, 23))


def test_one_fir_is_one_value_in_the_table(tmp_path):
    with store.connect(tmp_path / "fdp.duckdb") as con:
        load(con, tmp_path, normalize([kzfw()], location="KZFW"))
        in_kzfw = con.execute("SELECT notice_id FROM airspace_notices WHERE fir = 'KZFW' "
                              "ORDER BY 1").fetchall()
        assert in_kzfw == [("FDC 5/1234",), ("GDJ 11/007",), ("KZFW A0101/25",)]
        as_given = con.execute("SELECT notice_id, affected_fir FROM airspace_notices "
                               "ORDER BY 1").fetchall()
    assert as_given == [("FDC 5/1234", None), ("GDJ 11/007", "ZFW"),
                        ("KZFW A0101/25", "KZFW")]


def next_year() -> dict:
    """KZFW's answer a year later: the domestic number 11/007 again, issued in 2026
    (SYNTHETIC)."""
    later = kzfw()
    del later["items"][1:]
    notam = notam_of(later["items"][0])
    for field in ("issued", "effectiveStart", "effectiveEnd", "lastUpdated"):
        notam[field] = notam[field].replace("2025-", "2026-")
    return later


def test_same_domestic_number_in_two_years_is_two_notices(tmp_path):
    with store.connect(tmp_path / "fdp.duckdb") as con:
        load(con, tmp_path, normalize([kzfw()], "KZFW"),
             normalize([next_year()], "KZFW", day=date(2026, 11, 21)))
        rows = con.execute("SELECT year(issued), first_seen_partition FROM airspace_notices "
                           "WHERE notice_id = 'GDJ 11/007' ORDER BY 1").fetchall()
        assert rows == [(2025, "2025-11-21/KZFW"), (2026, "2026-11-21/KZFW")]
        assert in_force(con, "2025-11-25") == ["FDC 5/1234", "GDJ 11/007", "KZFW A0101/25"]
        keys = con.execute("SELECT notice_key FROM airspace_notices "
                           "WHERE notice_id = 'GDJ 11/007' ORDER BY 1").fetchall()
    assert keys == [("GDJ 11/007 2025",), ("GDJ 11/007 2026",)]


def test_cancellation_on_a_later_night_ends_what_it_names(tmp_path):
    first, later = svzm_nights()
    with store.connect(tmp_path / "fdp.duckdb") as con:
        load(con, tmp_path, first)
        assert "SVMI A2002/25" in in_force(con, "2025-11-24")  # permanent until cancelled
        load(con, tmp_path, later)
        before, on, after = (in_force(con, d) for d in ("2025-11-22", "2025-11-23",
                                                         "2025-11-24"))
        active = [n for (n,) in con.execute("SELECT notice_id FROM active_airspace_notices")
                  .fetchall()]
        ends = con.execute("SELECT notice_key, CAST(ended_at AS VARCHAR), ended_by "
                           "FROM airspace_notices WHERE ended_at IS NOT NULL ORDER BY 1"
                           ).fetchall()
    assert before == ["KICZ A0012/25", "SVMI A2002/25", "SVMI A2003/25"]
    # in force until the cancellation took effect that day; the cancellation never is
    assert on == ["KICZ A0012/25", "SVMI A2002/25", "SVMI A2003/25", "SVMI A2005/25"]
    assert after == ["KICZ A0012/25", "SVMI A2005/25"]
    assert "SVMI A2002/25" not in active and "SVMI A2004/25" not in active
    assert ends == [("SVMI A2002/25", "2025-11-23 12:00:00", "SVMI A2004/25"),
                    ("SVMI A2003/25", "2025-11-23 15:00:00", "SVMI A2005/25")]


def table_state(con: duckdb.DuckDBPyConnection) -> str:
    return table_checksum(con, "(SELECT * EXCLUDE (run_id, loaded_at) FROM airspace_notices)")


def test_ends_do_not_depend_on_load_order_and_reruns_change_nothing(tmp_path):
    first, later = svzm_nights()
    with store.connect(tmp_path / "forward.duckdb") as con:
        load(con, tmp_path, first, later)
        forward = table_state(con)
    with store.connect(tmp_path / "backfill.duckdb") as con:
        load(con, tmp_path, later, first)  # the older night backfilled after the newer one
        backfilled = table_state(con)
        first_seen = con.execute("SELECT first_seen_partition, source_partition "
                                 "FROM airspace_notices WHERE notice_id = 'KICZ A0012/25'"
                                 ).fetchall()
        ended = in_force(con, "2025-11-24")
        load(con, tmp_path, later, first, reload="-again")
        rerun = table_state(con)
    assert ended == ["KICZ A0012/25", "SVMI A2005/25"]
    assert backfilled == forward == rerun
    assert first_seen == [("2025-11-21/SVZM", "2025-11-23/SVZM")]  # newest night's copy


def test_cancellation_in_the_same_page_ends_what_it_names(tmp_path):
    both = fixture("SVZM_cancel-replace.json")
    both["items"] = [*pages()[1]["items"], *both["items"]]
    with store.connect(tmp_path / "fdp.duckdb") as con:
        load(con, tmp_path, normalize([both], day=date(2025, 11, 23)))
        assert in_force(con, "2025-11-24") == ["SVMI A2005/25"]


def test_domestic_cancellation_ends_the_notice_of_its_year(tmp_path):
    # SYNTHETIC: GDJ 11/012 cancels 11/007 in 2026; the 2025 notice with that number stays.
    later = next_year()
    cancel = copy.deepcopy(later["items"][0])
    notam = notam_of(cancel)
    notam.update(id="NOTAM_1_SYNTHETIC_0104", number="11/012", type="C",
                 issued="2026-11-10T08:00:00.000Z", effectiveStart="2026-11-10T08:00:00.000Z",
                 effectiveEnd=None, text="RWY 14/32 CLSD CANCELLED. SYNTHETIC TEST NOTAM.")
    cancel["properties"]["coreNOTAMData"]["notamTranslation"] = [{
        "type": "ICAO", "formattedText": "11/012 NOTAMC 11/007\nQ) KZFW/QMRXX/IV/NBO/A/000/999/"
                                         "3226N09749W005\nA) KGDJ\nB) 2611100800"}]
    later["items"].append(cancel)
    with store.connect(tmp_path / "fdp.duckdb") as con:
        load(con, tmp_path, normalize([kzfw()], "KZFW"),
             normalize([later], "KZFW", day=date(2026, 11, 21)))
        ends = con.execute("SELECT notice_key, ended_by FROM airspace_notices "
                           "WHERE notice_id = 'GDJ 11/007' ORDER BY 1").fetchall()
    assert ends == [("GDJ 11/007 2025", None), ("GDJ 11/007 2026", "GDJ 11/012 2026")]


def database_at(path: Path, last_version: int) -> None:
    """A database as the migrations up to last_version left it."""
    with duckdb.connect(str(path)) as con:
        con.execute(store.sql_file("migrations/000_schema_migrations.sql"))
        for migration in sorted(store.MIGRATIONS_DIR.glob("[0-9]*.sql")):
            version = int(migration.name[:3])
            if 0 < version <= last_version:
                con.execute(migration.read_text(encoding="utf-8"))
                con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                            [version, migration.name, store.utc_now()])


def test_migration_keys_existing_notices_and_loads_keep_working(tmp_path):
    path = tmp_path / "old.duckdb"
    database_at(path, 12)
    with duckdb.connect(str(path)) as con:  # rows as the old loader wrote them
        con.execute(
            "INSERT INTO airspace_notices (notice_id, issuer, fir, notam_type, category, "
            "effective_start, issued, text, source_url, source, source_partition, "
            "first_seen_partition, run_id, loaded_at) VALUES "
            "('KICZ A0012/25', 'KICZ', 'SVZM', 'N', 'advisory', '2025-11-21 17:43', "
            " '2025-11-21 18:08', 't', 'https://example.org', 'faa_notam', '2025-11-21/SVZM', "
            " '2025-11-21/SVZM', 'old', now()), "
            "('GDJ 11/007', 'GDJ', 'ZFW', 'N', 'closure', '2025-11-03 14:20', "
            " '2025-11-03 14:20', 't', 'https://example.org', 'faa_notam', '2025-11-10/KZFW', "
            " '2025-11-10/KZFW', 'old', now()), "
            "('FDC 4/0001', 'FDC', 'ZAN', 'N', 'other', '2024-12-30 00:00', NULL, 't', "
            " 'https://example.org', 'faa_notam', '2025-01-02/PAZA', '2025-01-02/PAZA', 'old', "
            " now())")
    with store.connect(path) as con:
        assert "015_notice_keys.sql" in [n for (n,) in con.execute(
            "SELECT name FROM schema_migrations").fetchall()]
        migrated = con.execute("SELECT notice_key, fir, affected_fir, ended_at "
                               "FROM airspace_notices ORDER BY 1").fetchall()
        load(con, tmp_path, normalize([kzfw()], "KZFW"))  # the next night, as usual
        gdj = con.execute("SELECT count(*), min(first_seen_partition), min(source_partition), "
                          "min(affected_fir) FROM airspace_notices "
                          "WHERE notice_id = 'GDJ 11/007'").fetchall()
    assert migrated == [("FDC 4/0001 2024", "PAZA", "ZAN", None),
                        ("GDJ 11/007 2025", "KZFW", "ZFW", None),
                        ("KICZ A0012/25", "SVZM", "SVZM", None)]
    assert gdj == [(1, "2025-11-10/KZFW", "2025-11-21/KZFW", "ZFW")]


# --- fetch against a local server -------------------------------------------------------

class FakeNotamApi:
    """The API's GET /notams on 127.0.0.1: answers only with the right client_id and
    client_secret headers (401 otherwise) and serves the pages set in `pages`."""

    def __init__(self, server) -> None:
        self.server = server
        self.pages: dict[str, list[dict]] = {}  # icaoLocation -> its pages
        self.scripted: list[HttpResponse | None] = []  # served first; None: the real answer
        self.seen: list[tuple[dict[str, str], tuple[str | None, str | None]]] = []
        server.expect_request(f"{API_PATH}/notams", method="GET").respond_with_handler(
            self._notams)

    @property
    def api_url(self) -> str:
        return self.server.url_for(API_PATH).rstrip("/")

    def _notams(self, request: Request) -> HttpResponse:
        credentials = (request.headers.get("client_id"), request.headers.get("client_secret"))
        self.seen.append((dict(request.args), credentials))
        scripted = self.scripted.pop(0) if self.scripted else None
        if scripted is not None:
            return scripted
        if credentials != (CLIENT_ID, CLIENT_SECRET):
            return HttpResponse('{"error": "Invalid client id or secret"}', 401,
                                content_type="application/json")
        listed = self.pages.get(request.args["icaoLocation"]) or [fixture("SKED_empty.json")]
        body = listed[int(request.args["pageNum"]) - 1]
        return HttpResponse(json.dumps(body), 200, content_type="application/json")


@pytest.fixture
def underscore_headers(monkeypatch):
    """werkzeug's development server drops request headers whose names contain "_"; the
    FAA API reads exactly such headers, so the test server keeps them."""
    make_environ = WSGIRequestHandler.make_environ

    def keep_underscores(handler: WSGIRequestHandler) -> dict:
        environ = make_environ(handler)
        for key, value in handler.headers.items():
            if "_" in key:
                environ[f"HTTP_{key.upper()}"] = value
        return environ

    monkeypatch.setattr(WSGIRequestHandler, "make_environ", keep_underscores)


@pytest.fixture
def api(httpserver, fdp_env, monkeypatch, underscore_headers) -> FakeNotamApi:
    fake = FakeNotamApi(httpserver)
    fake.pages["SVZM"] = pages()
    monkeypatch.setenv("FDP_FAA_NOTAM_API_URL", fake.api_url)
    monkeypatch.setenv("FAA_NOTAM_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("FAA_NOTAM_CLIENT_SECRET", CLIENT_SECRET)
    return fake


def context() -> FetchContext:
    settings = Settings.from_env()
    return FetchContext(settings, RawZone(settings.raw_dir),
                        {"faa_notam": credentials_from_env("faa_notam")}, now=lambda: FETCHED_AT)


def fetch(ctx: FetchContext | None = None, location: str = "SVZM") -> list[RawRecord]:
    """One location; returns the raw records of the fetch now newest."""
    ctx = ctx or context()
    faa_notam.fetch(ctx, DAY, location)
    return ctx.raw.latest("faa_notam", f"{DAY}/{location}")


def test_every_page_is_stored_in_one_complete_fetch(api):
    ctx = context()
    records = fetch(ctx)
    assert [r.request for r in records] == ["page-1", "page-2"]
    assert len({r.fetch_id for r in records}) == 1
    assert all(r.usable and r.status == 200 for r in records)
    assert [json.loads(ctx.raw.read(r)) for r in records] == pages()
    assert records[0].url == f"{api.api_url}/notams"
    assert [args for args, _ in api.seen] == [
        {"responseFormat": "geoJson", "icaoLocation": "SVZM", "pageSize": "1000", "pageNum": n}
        for n in ("1", "2")]
    assert [r.params for r in records] == [faa_notam.request_params("SVZM", n) for n in (1, 2)]


def test_fetched_pages_normalize_to_the_notices(api):
    ctx = context()
    records = fetch(ctx)
    responses = [Response(r, ctx.raw.read(r)) for r in records]
    frame = faa_notam.normalize(responses, NormalizeContext(ctx.settings, load_watchlist(),
                                                            frozenset()), DAY, "SVZM")
    assert KICZ in frame["notice_id"].tolist() and len(frame) == 4
    assert frame["source_url"].str.startswith(f"{api.api_url}/notams?").all()


def test_credentials_are_sent_as_headers_and_kept_out_of_raw_and_logs(api, caplog):
    caplog.set_level(logging.DEBUG)
    api.scripted = [HttpResponse("", 500)]  # a retry, so that the HTTP layer logs more
    ctx = context()
    fetch(ctx)
    assert {credentials for _, credentials in api.seen} == {(CLIENT_ID, CLIENT_SECRET)}
    assert caplog.text  # urllib3 did log the requests
    assert CLIENT_SECRET not in caplog.text and CLIENT_ID not in caplog.text
    files = [p for p in ctx.settings.raw_dir.rglob("*") if p.is_file()]
    assert any(p.name == "manifest.jsonl" for p in files)
    for path in files:
        text = path.read_text(errors="replace")
        assert CLIENT_SECRET not in text and CLIENT_ID not in text


def test_5xx_is_retried(api):
    api.scripted = [HttpResponse("", 500)]
    assert [r.status for r in fetch()] == [200, 200]
    assert len(api.seen) == 3


def test_persistent_5xx_keeps_the_body_and_leaves_no_complete_fetch(api):
    api.scripted = [None] + [HttpResponse("upstream down", 503)] * 4  # page 2 fails 1 + 3 retries
    ctx = context()
    with pytest.raises(SourceError, match=r"faa_notam 2025-11-21/SVZM: HTTP 503 .*page 2"):
        fetch(ctx)
    assert ctx.raw.latest("faa_notam", "2025-11-21/SVZM") == []
    kept = ctx.raw.records("faa_notam", "2025-11-21/SVZM")
    assert [(r.request, r.usable) for r in kept] == [("page-1", True), ("page-2", False)]
    assert ctx.raw.read(kept[1]) == b"upstream down"


def test_rejected_credentials_name_the_variables(api, monkeypatch):
    monkeypatch.setenv("FAA_NOTAM_CLIENT_SECRET", "wrong")
    ctx = context()
    with pytest.raises(SourceError, match=r"HTTP 401 .*rejected the credentials. Fix: set "
                                          r"FAA_NOTAM_CLIENT_ID and FAA_NOTAM_CLIENT_SECRET .*"
                                          r"faa_notam_default"):
        fetch(ctx)
    [kept] = ctx.raw.records("faa_notam", "2025-11-21/SVZM")
    assert (kept.status, kept.usable) == (401, False)


def test_malformed_json_is_kept_unusable_and_raises(api):
    api.scripted = [HttpResponse("<html>maintenance</html>", 200)]
    ctx = context()
    with pytest.raises(SourceError, match="malformed page 1: not JSON"):
        fetch(ctx)
    assert ctx.raw.latest("faa_notam", "2025-11-21/SVZM") == []  # never replayed
    [kept] = ctx.raw.records("faa_notam", "2025-11-21/SVZM")
    assert (kept.request, kept.usable) == ("page-1", False)
    assert ctx.raw.read(kept) == b"<html>maintenance</html>"


def test_json_without_items_or_total_pages_is_malformed(api):
    api.scripted = [HttpResponse('{"error": "Invalid client id or secret"}', 200,
                                 content_type="application/json")]
    with pytest.raises(SourceError, match=r"malformed page 1: lacks \['items', 'totalPages'\]"):
        fetch()


def test_missing_credentials_name_the_variables_and_connection(api):
    ctx = context()
    ctx.credentials = {"faa_notam": None}
    with pytest.raises(SourceError, match=r"no FAA NOTAM API credentials. Fix: set "
                                          r"FAA_NOTAM_CLIENT_ID and FAA_NOTAM_CLIENT_SECRET "
                                          r"\(in Airflow: the connection faa_notam_default"):
        fetch(ctx)
    assert api.seen == []


def test_long_retry_after_fails_fast(api):
    api.scripted = [HttpResponse("", 429, headers={"Retry-After": "7200"})]
    with pytest.raises(SourceError, match="rate limited: server asked to retry after 7200 s"):
        fetch()


def test_redirect_is_not_followed_with_the_secret(api):
    api.scripted = [HttpResponse("", 302, headers={"Location": api.server.url_for("/elsewhere")})]
    with pytest.raises(SourceError, match="HTTP 302"):
        fetch()
    assert [request.path for request, _ in api.server.log] == [f"{API_PATH}/notams"]


@pytest.mark.parametrize("total_pages", [0, 1])
def test_location_without_notams_is_one_page(api, total_pages):
    api.pages["SKED"] = [fixture("SKED_empty.json") | {"totalPages": total_pages}]
    ctx = context()
    assert [r.request for r in fetch(ctx, "SKED")] == ["page-1"]
    assert len(api.seen) == 1


def test_one_session_serves_the_night(api):
    ctx = context()
    fetch(ctx, "SVZM")
    fetch(ctx, "SKED")
    assert list(ctx.sessions) == ["faa_notam"]
    assert [args["icaoLocation"] for args, _ in api.seen] == ["SVZM", "SVZM", "SKED"]


# --- demo replay ------------------------------------------------------------------------

def test_replay_notice_is_the_fixture_notice():
    assert pages()[0]["items"][0] == json.loads(json.dumps(notam_replay.KICZ_A0012_25))


def test_replay_lists_the_advisory_from_the_night_it_was_issued(tmp_path):
    raw = RawZone(tmp_path)
    written = notam_replay.write_notam_replay(raw, iter(["SKED", "SVZM"]), date(2025, 11, 20),
                                              date(2025, 11, 22))
    assert written == 6
    ctx = NormalizeContext(Settings.from_env(), load_watchlist(), frozenset())
    listed = {}
    for day in ("2025-11-20", "2025-11-21", "2025-11-22"):
        for location in ("SKED", "SVZM"):
            records = raw.latest("faa_notam", f"{day}/{location}")
            assert all(r.synthetic and "SYNTHETIC" in r.note for r in records)
            assert [r.request for r in records] == ["page-1"]
            frame = faa_notam.normalize([Response(r, raw.read(r)) for r in records], ctx,
                                        date.fromisoformat(day), location)
            listed[(day, location)] = frame["notice_id"].tolist()
    assert listed == {("2025-11-20", "SKED"): [], ("2025-11-20", "SVZM"): [],
                      ("2025-11-21", "SKED"): [], ("2025-11-21", "SVZM"): [KICZ],
                      ("2025-11-22", "SKED"): [], ("2025-11-22", "SVZM"): [KICZ]}
    [record] = raw.latest("faa_notam", "2025-11-21/SVZM")
    assert record.fetched_at == "2025-11-22T00:00:00+00:00"  # asked when the night's day ended
    assert record.url == f"{FAA_NOTAM_API_URL}/notams"


def test_replay_drops_the_notice_once_it_ends():
    assert notam_replay.listed_at("SVZM", datetime(2026, 2, 19, 23, 58, tzinfo=UTC))
    assert notam_replay.listed_at("SVZM", datetime(2026, 2, 19, 23, 59, tzinfo=UTC)) == []


def test_replay_refuses_nights_it_cannot_know(tmp_path):
    with pytest.raises(ValueError, match="up to 2025-12-15"):
        notam_replay.write_notam_replay(RawZone(tmp_path), ["SVZM"], date(2025, 12, 10),
                                        date(2025, 12, 16))
