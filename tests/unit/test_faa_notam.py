"""FAA NOTAM API source: normalizer on fixtures in the API's geoJson format, the categorize
rules, fetch against a real local HTTP server, and the demo replay."""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from conftest import FIXTURES
from werkzeug import Request
from werkzeug import Response as HttpResponse
from werkzeug.serving import WSGIRequestHandler

from pipeline.config import FAA_NOTAM_API_URL, Settings, credentials_from_env
from pipeline.demo import notam_replay
from pipeline.errors import SourceError
from pipeline.raw import RawRecord, RawZone
from pipeline.sources import faa_notam
from pipeline.sources.base import FetchContext, NormalizeContext, Response
from pipeline.watchlist import load_watchlist

DAY = date(2025, 11, 21)
FETCHED_AT = datetime(2025, 11, 22, 0, 5, tzinfo=UTC)
API_PATH = "/notamapi/v1"
CLIENT_ID = "fdp-test-client-id-4b1d"
CLIENT_SECRET = "s3cret-NOTAM-value-never-logged"
KICZ = "KICZ A0012/25"
COLUMNS = {
    "notice_id": "string", "issuer": "string", "fir": "string", "location": "string",
    "classification": "string", "notam_type": "string", "category": "string",
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


def as_responses(bodies: list[dict], location: str = "SVZM") -> list[Response]:
    return [
        Response(RawRecord(
            source=faa_notam.SOURCE, partition=f"{DAY}/{location}", fetch_id="f",
            request=f"page-{n}", url=f"{FAA_NOTAM_API_URL}/notams",
            params=faa_notam.request_params(location, n),
            status=200, fetched_at=FETCHED_AT.isoformat(), sha256="", bytes=0, file=""),
            json.dumps(body).encode())
        for n, body in enumerate(bodies, start=1)
    ]


def normalize(bodies: list[dict] | None = None, location: str = "SVZM") -> pd.DataFrame:
    ctx = NormalizeContext(Settings.from_env(), load_watchlist(), frozenset())
    return faa_notam.normalize(as_responses(pages() if bodies is None else bodies, location),
                               ctx, DAY, location)


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
