"""Federal Register source: normalize on SYNTHETIC fixtures in the API's documented shape, and
fetch against a real local HTTP server (pytest-httpserver)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURES
from werkzeug import Request
from werkzeug import Response as WerkzeugResponse

from pipeline.config import Settings
from pipeline.demo.federal_register_replay import write_federal_register_replay
from pipeline.errors import SourceError
from pipeline.http import USER_AGENT
from pipeline.raw import RawZone
from pipeline.sources import federal_register as fr
from pipeline.sources.base import FetchContext, NormalizeContext, Response
from pipeline.watchlist import Watchlist

DAY = date(2025, 11, 24)
PARTITION = "2025-11-24/faa-dot"
LATER = datetime(2025, 11, 25, 1, tzinfo=UTC)
TERMS = ("Venezuela", "Maiquetia")
API_PATH = "/api/v1/documents.json"
PAGES = {  # (term, page) -> fixture file
    ("Venezuela", 1): "venezuela_page-1.json",
    ("Venezuela", 2): "venezuela_page-2.json",
    ("Maiquetia", 1): "maiquetia_page-1.json",
}


def fixture(name: str) -> bytes:
    return (FIXTURES / "federal_register" / name).read_bytes()


class FakeFederalRegister:
    """Serves fixture bodies by (term, page); scripted responses go first, in order."""

    def __init__(self, server, pages: dict[tuple[str, int], str]) -> None:
        self.pages = pages
        self.requests: list[Request] = []
        self.scripted: list[WerkzeugResponse] = []
        server.expect_request(API_PATH, method="GET").respond_with_handler(self._handle)

    def _handle(self, request: Request) -> WerkzeugResponse:
        self.requests.append(request)
        if self.scripted:
            return self.scripted.pop(0)
        name = self.pages.get((request.args["conditions[term]"], int(request.args["page"])),
                              "zero_hits.json")
        return WerkzeugResponse(fixture(name), 200, content_type="application/json")


@pytest.fixture
def env(httpserver, fdp_env, tmp_path: Path, monkeypatch) -> Settings:
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text('airports = ["SVMI"]\nterms = ["Venezuela", "Maiquetia"]\n')
    monkeypatch.setenv("FDP_WATCHLIST", str(watchlist))
    monkeypatch.setenv("FDP_FEDERAL_REGISTER_API_URL", httpserver.url_for("/api/v1"))
    return Settings.from_env()


@pytest.fixture
def api(httpserver, env) -> FakeFederalRegister:
    return FakeFederalRegister(httpserver, PAGES)


def fetch(settings: Settings) -> RawZone:
    raw = RawZone(settings.raw_dir)
    fr.fetch(FetchContext(settings, raw, {}, now=lambda: LATER), DAY, "faa-dot")
    return raw


def watchlist(terms: tuple[str, ...] = TERMS) -> Watchlist:
    return Watchlist(countries=("VE",), airports=("SVMI",), firs=(), terms=terms)


def normalize(raw: RawZone, settings: Settings, terms: tuple[str, ...] = TERMS) -> pd.DataFrame:
    responses = [Response(r, raw.read(r)) for r in raw.latest(fr.SOURCE, PARTITION)]
    ctx = NormalizeContext(settings, watchlist(terms), frozenset())
    return fr.normalize(responses, ctx, DAY, "faa-dot")


def stored(settings: Settings, pages: dict[tuple[str, int], bytes]) -> RawZone:
    """The given bodies as one complete raw fetch, as fetch would have stored them."""
    raw = RawZone(settings.raw_dir)
    with raw.fetch(fr.SOURCE, PARTITION) as batch:
        for (term, page), body in pages.items():
            batch.add(request=f"{term}:page-{page}", url="https://example.test/documents.json",
                      params=fr.request_params(term, DAY, page), status=200, body=body,
                      fetched_at=LATER)
    return raw


def fixture_pages() -> dict[tuple[str, int], bytes]:
    return {key: fixture(name) for key, name in PAGES.items()}


def by_number(frame: pd.DataFrame) -> dict[str, pd.Series]:
    return {row["document_number"]: row for _, row in frame.iterrows()}


# --- normalize ---------------------------------------------------------------------------

def test_documents_found_by_two_terms_or_on_two_pages_are_kept_once(env):
    frame = normalize(stored(env, fixture_pages()), env)
    assert frame["document_number"].tolist() == ["2025-99901", "2025-99902", "2025-99903",
                                                 "2025-99904"]
    rows = by_number(frame)
    assert rows["2025-99902"]["matched_terms"] == "Venezuela"  # on both Venezuela pages
    assert rows["2025-99903"]["matched_terms"] == "Maiquetia; Venezuela"
    assert rows["2025-99904"]["matched_terms"] == "Maiquetia"


def test_columns_dtypes_and_values(env):
    frame = normalize(stored(env, fixture_pages()), env)
    assert list(frame.columns) == [
        "document_number", "publication_date", "document_type", "title", "abstract",
        "agencies", "html_url", "pdf_url", "matched_terms", "source", "source_partition"]
    assert str(frame["publication_date"].dtype) == "datetime64[us]"
    strings = frame.drop(columns="publication_date")
    assert all(isinstance(dtype, pd.StringDtype) for dtype in strings.dtypes)
    row = by_number(frame)["2025-99901"]
    assert row["publication_date"] == pd.Timestamp("2025-11-24")
    assert row["document_type"] == "Rule"
    assert row["title"].startswith("[SYNTHETIC] Prohibition")
    assert row["html_url"].startswith("https://www.federalregister.gov/documents/2025/11/24/")
    assert (row["source"], row["source_partition"]) == ("federal_register", PARTITION)
    assert set(frame["document_type"]) == {"Rule", "Notice", "Proposed Rule"}


def test_agencies_are_sorted_slugs_and_unmatched_names_are_left_out(env):
    rows = by_number(normalize(stored(env, fixture_pages()), env))
    # the API lists DOT first for 2025-99901
    assert rows["2025-99901"]["agencies"] == (
        "federal-aviation-administration, transportation-department")
    assert rows["2025-99902"]["agencies"] == "transportation-department"  # + a raw_name only
    assert rows["2025-99904"]["agencies"] == "federal-aviation-administration"


def test_null_abstract_and_pdf_url_stay_null(env):
    rows = by_number(normalize(stored(env, fixture_pages()), env))
    assert rows["2025-99902"]["abstract"] is pd.NA
    assert rows["2025-99904"]["pdf_url"] is pd.NA
    assert rows["2025-99901"]["pdf_url"] == (
        "https://www.govinfo.gov/content/pkg/FR-2025-11-24/pdf/2025-99901.pdf")


def test_the_order_of_the_raw_responses_does_not_matter(env, tmp_path):
    frame = normalize(stored(env, fixture_pages()), env)
    reversed_pages = dict(reversed(fixture_pages().items()))
    other = Settings.from_env({"FDP_HOME": str(tmp_path / "other")})
    pd.testing.assert_frame_equal(normalize(stored(other, reversed_pages), other), frame)


def test_zero_hit_shape_gives_an_empty_frame_with_the_schema(env):
    full = normalize(stored(env, fixture_pages()), env)
    zero = fixture("zero_hits.json")
    assert "results" not in json.loads(zero)
    frame = normalize(stored(env, {("Venezuela", 1): zero, ("Maiquetia", 1): zero}), env)
    assert frame.empty
    assert list(frame.columns) == list(fr.REGULATORY_DOCUMENTS.columns)
    pd.testing.assert_series_equal(frame.dtypes, full.dtypes)


def test_a_watched_term_missing_from_raw_is_an_error(env):
    pages = {("Venezuela", 1): fixture("venezuela_page-1.json")}
    with pytest.raises(SourceError, match=r"lacks the terms \['Maiquetia'\]"):
        normalize(stored(env, pages), env)


def test_a_term_no_longer_watched_does_not_count(env):
    frame = normalize(stored(env, fixture_pages()), env, terms=("Venezuela",))
    assert by_number(frame)["2025-99903"]["matched_terms"] == "Venezuela"
    assert "2025-99904" not in set(frame["document_number"])


def test_a_document_of_another_day_is_an_error(env):
    page = json.loads(fixture("maiquetia_page-1.json"))
    page["results"][1]["publication_date"] = "2025-11-21"
    pages = fixture_pages() | {("Maiquetia", 1): json.dumps(page).encode()}
    with pytest.raises(SourceError, match="2025-99904 was published on 2025-11-21"):
        normalize(stored(env, pages), env)


def test_a_document_without_a_required_field_is_an_error(env):
    page = json.loads(fixture("maiquetia_page-1.json"))
    del page["results"][0]["html_url"]
    pages = fixture_pages() | {("Maiquetia", 1): json.dumps(page).encode()}
    with pytest.raises(SourceError, match=r"2025-99903'? lacks fields \['html_url'\]"):
        normalize(stored(env, pages), env)


def test_partition_keys_need_terms():
    assert fr.partition_keys(watchlist()) == ["faa-dot"]
    assert fr.partition_keys(watchlist(terms=())) == []


# --- fetch against a local server ----------------------------------------------------------

def test_paging_fetches_every_page_into_one_complete_fetch(api, env):
    raw = fetch(env)
    records = raw.latest(fr.SOURCE, PARTITION)
    assert [r.request for r in records] == ["Venezuela:page-1", "Venezuela:page-2",
                                            "Maiquetia:page-1"]
    assert len({r.fetch_id for r in records}) == 1
    assert all(r.usable and r.status == 200 for r in records)
    assert [raw.read(r) for r in records] == [fixture(PAGES[("Venezuela", 1)]),
                                              fixture(PAGES[("Venezuela", 2)]),
                                              fixture(PAGES[("Maiquetia", 1)])]
    assert [r.request for r in raw.records(fr.SOURCE, PARTITION)][-1] == "complete"
    assert len(api.requests) == 3
    assert len(normalize(raw, env)) == 4


def test_exact_query_parameters(api, env):
    fetch(env)
    sent = [(request.path, request.args) for request in api.requests]
    assert [path for path, _ in sent] == [API_PATH] * 3
    for (_, args), (term, page) in zip(sent, PAGES, strict=True):
        assert sorted(args.keys()) == sorted([
            "conditions[agencies][]", "conditions[term]", "conditions[publication_date][is]",
            "per_page", "page"])
        assert args.getlist("conditions[agencies][]") == ["federal-aviation-administration",
                                                          "transportation-department"]
        assert args["conditions[term]"] == term
        assert args["conditions[publication_date][is]"] == "2025-11-24"
        assert (args["per_page"], args["page"]) == ("100", str(page))
    assert api.requests[0].headers["User-Agent"] == USER_AGENT


def test_zero_hit_answer_is_accepted_and_stored(httpserver, env):
    api = FakeFederalRegister(httpserver, {})  # every query answers zero_hits.json
    raw = fetch(env)
    records = raw.latest(fr.SOURCE, PARTITION)
    assert [r.request for r in records] == ["Venezuela:page-1", "Maiquetia:page-1"]
    assert all(r.usable for r in records)
    assert raw.read(records[0]) == fixture("zero_hits.json")
    assert len(api.requests) == 2  # no total_pages: no page 2
    assert normalize(raw, env).empty


def test_503_then_200_is_retried(api, env):
    api.scripted = [WerkzeugResponse("", 503)]
    records = fetch(env).latest(fr.SOURCE, PARTITION)
    assert [r.status for r in records] == [200, 200, 200]
    assert len(api.requests) == 4


def test_html_with_status_200_is_kept_unusable_and_raises(api, env):
    html = b"<html><body>Scheduled maintenance</body></html>"
    api.scripted = [WerkzeugResponse(html, 200, content_type="text/html")]
    with pytest.raises(SourceError, match=r"federal_register 2025-11-24/faa-dot: term "
                                          r"'Venezuela' page 1: malformed page: not JSON"):
        fetch(env)
    raw = RawZone(env.raw_dir)
    assert raw.latest(fr.SOURCE, PARTITION) == []  # never replayed
    [kept] = raw.records(fr.SOURCE, PARTITION)
    assert (kept.request, kept.usable) == ("Venezuela:page-1", False)
    assert raw.read(kept) == html


def test_json_without_results_but_with_hits_is_an_error(api, env):
    body = json.dumps({"count": 3, "description": "Documents matching 'Venezuela'"})
    api.scripted = [WerkzeugResponse(body, 200, content_type="application/json")]
    with pytest.raises(SourceError, match="'count' is 3 but the body has no 'results'"):
        fetch(env)
    [kept] = RawZone(env.raw_dir).records(fr.SOURCE, PARTITION)
    assert not kept.usable


def test_persistent_5xx_is_kept_unusable_and_names_the_status(api, env):
    api.scripted = [WerkzeugResponse('{"status":500}', 500)] * 10
    with pytest.raises(SourceError, match="HTTP 500 after retries"):
        fetch(env)
    assert len(api.requests) == 4  # first try + FDP_HTTP_RETRIES=3
    [kept] = RawZone(env.raw_dir).records(fr.SOURCE, PARTITION)
    assert (kept.status, kept.usable) == (500, False)


def test_a_refused_query_names_the_status(api, env):
    # the API's answer to an invalid search: 400 with {"errors": ...}, never retried
    body = json.dumps({"errors": {"publication_date": "is not a valid date"}})
    api.scripted = [WerkzeugResponse(body, 400, content_type="application/json")]
    with pytest.raises(SourceError, match=r"HTTP 400 after retries.*FDP_FEDERAL_REGISTER_API_URL"):
        fetch(env)
    assert len(api.requests) == 1


def test_a_listing_the_api_truncated_is_an_error(api, env):
    body = json.loads(fixture("venezuela_page-1.json")) | {"count": 10000, "total_pages": 50}
    api.scripted = [WerkzeugResponse(json.dumps(body), 200, content_type="application/json")]
    with pytest.raises(SourceError, match="10000 matches but only 50 pages of 100"):
        fetch(env)


def test_a_day_that_has_not_ended_is_refused(api, env):
    ctx = FetchContext(env, RawZone(env.raw_dir), {},
                       now=lambda: datetime(2025, 11, 24, 23, tzinfo=UTC))
    with pytest.raises(SourceError, match="the day has not ended"):
        fr.fetch(ctx, DAY, "faa-dot")
    assert api.requests == []


# --- demo replay ---------------------------------------------------------------------------

def test_demo_replay_is_the_zero_hit_answer_flagged_synthetic(env):
    raw = RawZone(env.raw_dir)
    assert write_federal_register_replay(raw, TERMS, DAY, date(2025, 11, 25)) == 4
    records = raw.latest(fr.SOURCE, PARTITION)
    assert [r.request for r in records] == ["Venezuela:page-1", "Maiquetia:page-1"]
    assert all(r.synthetic and "SYNTHETIC" in r.note for r in records)
    assert records[0].params == fr.request_params("Venezuela", DAY, 1)
    assert "results" not in json.loads(raw.read(records[0]))
    assert normalize(raw, env).empty
    # idempotent: a second replay adds no manifest line
    lines = len(raw.records(fr.SOURCE, PARTITION))
    write_federal_register_replay(raw, TERMS, DAY, date(2025, 11, 25))
    assert len(raw.records(fr.SOURCE, PARTITION)) == lines
