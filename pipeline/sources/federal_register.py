"""Federal Register documents of the FAA and DOT that mention a watchlist term, per UTC day.

fetch: for each watchlist term, GET {api}/documents.json for the documents published ON the
partition's day by the two agencies, every page (one raw response per term and page, all in one
fetch). No API key. A query without hits is answered `{"count": 0, "description": ...}` with no
`results` (and no `total_pages`): that is a valid, stored answer, not an error.

normalize: raw pages -> the `regulatory_documents` frame, one row per document; a document
found by several terms, or twice while paging, is kept once with all its terms.

Why "since the last run" holds: a document is published in exactly one dated issue, and its
`publication_date` never changes. Each partition asks for exactly one publication day (the UTC
data day of the nightly run, fetched once that day has ended), so consecutive nights cover
consecutive days with no gap and no overlap; nights that did not run are ordinary unloaded
partitions that backfill (`fdp backfill` / `airflow backfill create`) fetches later. Re-running
a day replaces that day's rows and nothing else.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pandas as pd
import pandera.pandas as pa

from pipeline.errors import SourceError
from pipeline.http import plain_session, send_or_explain
from pipeline.schemas import STRING
from pipeline.sources.base import FetchContext, NormalizeContext, Response, partition_name
from pipeline.watchlist import Watchlist, load_watchlist

SOURCE = "federal_register"
TABLE = "regulatory_documents"
PARTITION_KEY = "faa-dot"
AGENCIES = ("federal-aviation-administration", "transportation-department")
PER_PAGE = 100
DATE_FORMAT = "%Y-%m-%d"
REQUIRED_FIELDS = ("document_number", "type", "title", "publication_date", "html_url",
                   "agencies")
HTTP_FIX = ("the Federal Register API failed (5xx) or refused the query (4xx: check "
            "FDP_FEDERAL_REGISTER_API_URL); the raw body was kept, the task retries later")
FORMAT_FIX = ("the raw body was kept for inspection (usable=false in the manifest); if it "
              "persists, the API's format changed: update pipeline/sources/federal_register.py")

REGULATORY_DOCUMENTS = pa.DataFrameSchema(
    {
        "document_number": pa.Column(STRING, unique=True, checks=pa.Check.str_matches(r"^\S+$")),
        "publication_date": pa.Column("datetime64[us]"),
        "document_type": pa.Column(STRING, checks=pa.Check.str_length(min_value=1)),
        "title": pa.Column(STRING),
        "abstract": pa.Column(STRING, nullable=True),
        "agencies": pa.Column(STRING, checks=pa.Check.str_matches(r"^[a-z0-9-]+(, [a-z0-9-]+)*$")),
        "html_url": pa.Column(STRING, checks=pa.Check.str_matches(r"^https?://")),
        "pdf_url": pa.Column(STRING, nullable=True, checks=pa.Check.str_matches(r"^https?://")),
        "matched_terms": pa.Column(STRING, checks=pa.Check.str_length(min_value=1)),
        "source": pa.Column(STRING, checks=pa.Check.isin([SOURCE])),
        "source_partition": pa.Column(
            STRING, checks=pa.Check.str_matches(rf"^\d{{4}}-\d{{2}}-\d{{2}}/{PARTITION_KEY}$")),
    },
    strict=True,
    ordered=True,
)
COLUMNS = list(REGULATORY_DOCUMENTS.columns)


class MalformedPage(ValueError):
    """A documents.json body that is neither a page of results nor the zero-hit answer."""


def partition_keys(watchlist: Watchlist) -> list[str]:
    return [PARTITION_KEY] if watchlist.terms else []


def request_params(term: str, day: date, page: int) -> dict[str, Any]:
    # `[is]` is the API's own "published on" filter (the same as gte = lte = day), so the
    # request says exactly what the partition holds. Lists are sent as repeated keys.
    return {
        "conditions[agencies][]": list(AGENCIES),
        "conditions[term]": term,
        "conditions[publication_date][is]": day.isoformat(),
        "per_page": PER_PAGE,
        "page": page,
    }


def parse_page(body: bytes) -> dict[str, Any]:
    """The checked envelope of one response; the zero-hit answer comes back with no results."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise MalformedPage(f"not JSON ({exc}); starts with {body[:80]!r}") from exc
    if not isinstance(payload, dict):
        raise MalformedPage(f"expected a JSON object, got {type(payload).__name__}")
    count = payload.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise MalformedPage(f"'count' is {count!r}, not a non-negative integer")
    if "results" not in payload:
        if count == 0:
            return {"count": 0, "total_pages": 0, "results": []}
        raise MalformedPage(f"'count' is {count} but the body has no 'results'")
    results, total_pages = payload["results"], payload.get("total_pages")
    if not isinstance(results, list) or not all(isinstance(doc, dict) for doc in results):
        raise MalformedPage("'results' is not a list of objects")
    if not isinstance(total_pages, int) or isinstance(total_pages, bool) or total_pages < 1:
        raise MalformedPage(f"'total_pages' is {total_pages!r} next to results")
    return payload


def fetch(ctx: FetchContext, day: date, key: str) -> None:
    """Fetch every page of every term's query for one publication day into the raw zone."""
    partition = partition_name(day, key)
    if key != PARTITION_KEY:
        raise SourceError(SOURCE, partition, f"unknown partition key {key!r}",
                          f"use {PARTITION_KEY!r} (see partition_keys)")
    if day >= ctx.now().date():
        raise SourceError(SOURCE, partition, "the day has not ended (UTC); a later special "
                          "edition could still be published",
                          "run this day once it has ended (the nightly DAG does this)")
    terms = load_watchlist(ctx.settings.watchlist_path).terms
    session = ctx.session(SOURCE, lambda: plain_session(ctx.settings))
    url = f"{ctx.settings.federal_register_api_url}/documents.json"
    with ctx.raw.fetch(SOURCE, partition) as batch:
        for term in terms:
            # Pages are asked for by number on the configured base URL: the body's
            # next_page_url always names www.federalregister.gov and echoes extra parameters.
            page, total_pages = 1, 1
            while page <= total_pages:
                params = request_params(term, day, page)
                response = send_or_explain(
                    lambda params=params: session.get(url, params=params,
                                                      timeout=ctx.settings.http_timeout_s),
                    source=SOURCE, partition=partition, url=url,
                    url_setting="FDP_FEDERAL_REGISTER_API_URL")
                payload, problem, fix = _check(response.status_code, response.content)
                batch.add(request=f"{term}:page-{page}", url=url, params=params,
                          status=response.status_code, body=response.content,
                          fetched_at=ctx.now(), usable=problem is None, note=problem or "")
                if problem:
                    raise SourceError(SOURCE, partition, f"term {term!r} page {page}: {problem}",
                                      fix)
                total_pages = payload["total_pages"]
                page += 1


def _check(status: int, body: bytes) -> tuple[dict[str, Any], str | None, str]:
    """(payload, problem or None, the fix to name if there is a problem)."""
    if status != 200:
        return {}, f"HTTP {status} after retries", HTTP_FIX
    try:
        payload = parse_page(body)
    except MalformedPage as exc:
        return {}, f"malformed page: {exc}", FORMAT_FIX
    # The API lists a bounded window of pages; more matches than it will list would be lost.
    if payload["count"] > payload["total_pages"] * PER_PAGE:
        return payload, (f"{payload['count']} matches but only {payload['total_pages']} pages "
                         f"of {PER_PAGE}"), ("the API truncated the listing; split the query "
                                             "(narrower terms) in the watchlist")
    return payload, None, ""


def normalize(responses: list[Response], ctx: NormalizeContext, day: date, key: str
              ) -> pd.DataFrame:
    partition = partition_name(day, key)
    pages = _pages_by_term(responses, ctx.watchlist.terms, partition)
    found = [(_document(doc, day, partition), term)
             for term, payload in pages for doc in payload["results"]]
    return normalize_documents(found, partition)


def _pages_by_term(responses: list[Response], terms: tuple[str, ...], partition: str
                   ) -> list[tuple[str, dict[str, Any]]]:
    """The parsed pages of the watched terms; a term dropped from the watchlist since the
    fetch no longer counts as matching."""
    pages = []
    for response in responses:
        term = response.record.params.get("conditions[term]")
        if term not in terms:
            continue
        try:
            pages.append((term, parse_page(response.body)))
        except MalformedPage as exc:
            raise SourceError(SOURCE, partition, f"raw {response.record.request}: {exc}",
                              "fetch the partition again (run without --replay)") from exc
    missing = sorted(set(terms) - {term for term, _ in pages})
    if missing:
        raise SourceError(SOURCE, partition, f"the raw fetch lacks the terms {missing}",
                          "fetch the partition again (run without --replay)")
    return pages


def _document(doc: dict[str, Any], day: date, partition: str) -> dict[str, Any]:
    missing = [name for name in REQUIRED_FIELDS if doc.get(name) in (None, "")]
    if missing:
        raise SourceError(SOURCE, partition,
                          f"document {doc.get('document_number')!r} lacks fields {missing}",
                          "the API's schema changed: update pipeline/sources/federal_register.py")
    number = doc["document_number"]
    if doc["publication_date"] != day.isoformat():
        raise SourceError(SOURCE, partition,
                          f"document {number} was published on {doc['publication_date']}",
                          "the API ignored the publication-date filter; fetch again, and check "
                          "request_params against the API documentation")
    # An agency name the Federal Register could not match comes as {"raw_name": ...} alone.
    slugs = sorted({a["slug"] for a in doc["agencies"] if isinstance(a, dict) and a.get("slug")})
    if not slugs:
        raise SourceError(SOURCE, partition, f"document {number} names no known agency",
                          "the API's schema changed: update pipeline/sources/federal_register.py")
    return {
        "document_number": number,
        "publication_date": doc["publication_date"],
        "document_type": doc["type"],
        "title": doc["title"],
        "abstract": doc.get("abstract"),
        "agencies": ", ".join(slugs),
        "html_url": doc["html_url"],
        "pdf_url": doc.get("pdf_url"),
    }


def normalize_documents(found: list[tuple[dict[str, Any], str]], partition: str
                        ) -> pd.DataFrame:
    """One row per document number, with every term that found it."""
    documents: dict[str, dict[str, Any]] = {}
    terms: dict[str, set[str]] = {}
    for document, term in found:
        number = document["document_number"]
        documents.setdefault(number, document)
        terms.setdefault(number, set()).add(term)
    rows = [documents[number] | {"matched_terms": "; ".join(sorted(terms[number])),
                                 "source": SOURCE, "source_partition": partition}
            for number in sorted(documents)]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame = frame.astype({name: STRING for name in COLUMNS if name != "publication_date"})
    frame["publication_date"] = pd.to_datetime(
        frame["publication_date"], format=DATE_FORMAT).astype("datetime64[us]")
    return REGULATORY_DOCUMENTS.validate(frame)
