"""FAA NOTAM API: `GET {FDP_FAA_NOTAM_API_URL}/notams` per ICAO location (the watchlist's FIRs).

The API answers with the NOTAMs current when it is asked (in force or not yet started), not
with those of a past day: the partition day is the UTC day the night covers, and when a notice
is in force comes from each NOTAM's own effectiveStart / effectiveEnd. Replaying a night
therefore needs that night's raw responses; an old day cannot be fetched afterwards.

fetch: every page (pageSize 1000, pageNum 1..totalPages) into the raw zone, one complete fetch.
Authentication is the two request headers client_id and client_secret, which stay in the
session: the raw zone keeps the URL and query parameters only.
normalize: raw geoJson pages -> the `airspace_notices` frame, one row per NOTAM, identified
as ICAO writes it ("KICZ A0012/25": issuing NOTAM office, series, number/year), keyed so that
numbers without a year (US domestic "GDJ 11/007", FDC "3/8210") cannot collide across years,
with its FIR as the ICAO code and, for a cancellation or replacement, the notice it ends.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from functools import cache
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import pandera.pandas as pa
import requests

from pipeline.config import CREDENTIAL_VARIABLES, Credentials, Settings
from pipeline.errors import SourceError
from pipeline.http import plain_session, send_or_explain
from pipeline.sources.base import FetchContext, NormalizeContext, Response, partition_name
from pipeline.watchlist import Watchlist

SOURCE = "faa_notam"
TABLE = "airspace_notices"
CURRENT_ONLY = True  # the API cannot answer for a past day: see nightly.plan
PAGE_SIZE = 1000  # the API's maximum
CREDENTIALS_FIX = (
    "set {} and {} (in Airflow: the connection faa_notam_default, login = client id, "
    "password = client secret), or rebuild from raw with --replay"
).format(*CREDENTIAL_VARIABLES[SOURCE])
RETRY_FIX = "the raw body was kept for inspection; the task retries the fetch"
PERMANENT = "PERM"
REQUIRED_FIELDS = ("number", "accountId", "type", "effectiveStart", "text")

STRING = pd.StringDtype()
UTC_TS = "datetime64[us, UTC]"
CATEGORIES = ("advisory", "prohibition", "closure", "other")
CLASSIFICATIONS = ("INTL", "FDC", "DOM", "MIL", "LMIL")
NOTAM_TYPES = ("N", "R", "C")  # new, replacing, cancelling

# (category, pattern, why) in order; the first pattern found in the NOTAM text decides.
RULES: list[tuple[str, re.Pattern[str], str]] = [
    ("prohibition", re.compile(r"\bPROHIBIT(?:ED|ION|S)?\b"),
     "flight prohibitions say so, e.g. 'ARE PROHIBITED FROM CONDUCTING FLIGHT OPERATIONS'"),
    ("prohibition", re.compile(r"\bSFAR\b"),
     "a Special Federal Aviation Regulation is the FAA's standing form of a flight prohibition"),
    ("closure", re.compile(r"\bCLOSED TO ALL\b|\b(?:AIRSPACE|FIR|AERODROME|AIRPORT|RUNWAY|RWY)"
                           r"(?: IS)? CLOSED\b"),
     "airspace or aerodrome closed in plain words, e.g. 'CLOSED TO ALL TRAFFIC'"),
    ("closure", re.compile(r"\bCLSD\b"),
     "CLSD is the ICAO abbreviation for closed (runway, taxiway, aerodrome, airspace)"),
    ("advisory", re.compile(r"\bEXERCISE (?:EXTREME )?CAUTION\b"),
     "the wording of the FAA's security advisories to operators"),
    ("advisory", re.compile(r"\bPOTENTIALLY HAZARDOUS SITUATION\b"),
     "the title of an FAA security advisory NOTAM"),
    ("advisory", re.compile(r"\bMILITARY ACTIVITY\b"),
     "warns of military activity without closing or prohibiting anything"),
    ("advisory", re.compile(r"\bRISKS?\b"),
     "names a risk to aircraft without closing or prohibiting anything"),
]
# A cancellation usually repeats what it lifts ("RWY 10/28 CLSD CANCELLED"): not a closure.
CANCELLATION = re.compile(r"\b(?:CANCELL?ED|CANCELS?|CNL)\b")
# Estimated end: ICAO item "C) 2602192359 EST", or the US form "2307181641-2507181641EST".
ESTIMATED_END = re.compile(r"(?:\bC\)\s*|\d{10}-)\d{10}\s*EST\b")
ICAO_NUMBER = re.compile(r"^\d{4}/\d{2}$")  # "0012/25": the series letter is separate
# Series, number and year: the only numbers that carry their year ("A0012/25"). US domestic
# ("11/007": month/number) and FDC ("3/8210") numbers come round again the next year.
NUMBER_WITH_YEAR = re.compile(r"^[A-Z]\d{4}/\d{2}$")
NOF_ADDRESS = re.compile(r"^([A-Z]{4})YNYX$")  # AFTN address of a NOTAM office, e.g. EDDZYNYX
# First line of an ICAO-format NOTAM: its own number, NOTAMN/R/C, and for R and C the number it
# replaces or cancels: "A0008/23 NOTAMC A0013/19" (FAA JO 7930.2, 8-1-1: "NOTAMR ... and NOTAMC
# ... will be followed by another NOTAM number that is being replaced or cancelled"). The API's
# ICAO translation of a domestic NOTAM may say "07/015 NOTAMR" with no number: nothing to link.
ICAO_HEADER = re.compile(r"^\(?(?P<number>\S+) NOTAM(?P<action>[NRC])(?: (?P<target>\S+))?")

# The FAA names its en-route centres (ARTCCs) by 3-letter identifiers ("ZFW"), ICAO names their
# FIRs by 4-letter location indicators ("KZFW"); the API's affectedFIR holds either form (a
# captured answer lists affectedFIR KZJX and ZJX alike). `fir` is the ICAO code so that one
# FIR is one value; `affected_fir` keeps what the API said. Rule: a centre in the contiguous
# US, and the two oceanic ones, is "K" + its identifier (a captured NOTAM with affectedFIR
# "ZAU" has Q) KZAU/...); the others take their region's prefix. Sources (see
# tests/fixtures/faa_notam/README.md): FAA JO 7930.2 chapter 8 section 1, which files ARTCC
# NOTAMs "under the associated ARTCC ICAO location indicator (KZBW, KZHU, KZJX, KZLA, KZMA,
# KZNY, KZOA, KZSE, PAZA, PHZH, or TJZS)"; the FIR table of the ICAO NOTAM format in
# Capstone-Group-M/Capstone_Group_M docs/notam_characteristics.md (every code below, the only
# source found for Guam PGZU).
K_PREFIXED_ARTCCS = ("ZAB", "ZAU", "ZBW", "ZDC", "ZDV", "ZFW", "ZHU", "ZID", "ZJX", "ZKC", "ZLA",
                     "ZLC", "ZMA", "ZME", "ZMP", "ZNY", "ZOA", "ZOB", "ZSE", "ZTL",
                     "ZAK", "ZWY")  # Oakland Oceanic, New York Oceanic
ICAO_FIR_OF_ARTCC: dict[str, str] = {
    **{artcc: f"K{artcc}" for artcc in K_PREFIXED_ARTCCS},
    "ZAN": "PAZA",  # Anchorage
    "ZHN": "PHZH",  # Honolulu
    "ZSU": "TJZS",  # San Juan
    "ZUA": "PGZU",  # Guam
}
ICAO_LOCATION = re.compile(r"^[A-Z]{4}$")
log = logging.getLogger(__name__)

AIRSPACE_NOTICES = pa.DataFrameSchema(
    {
        "notice_id": pa.Column(STRING, checks=pa.Check.str_matches(r"^\S+ \S+$")),
        "notice_key": pa.Column(STRING, unique=True,
                                checks=pa.Check.str_matches(r"^\S+ \S+( \d{4})?$")),
        "issuer": pa.Column(STRING),
        "fir": pa.Column(STRING),
        "affected_fir": pa.Column(STRING, nullable=True),
        "location": pa.Column(STRING, nullable=True),
        "classification": pa.Column(STRING, nullable=True,
                                    checks=pa.Check.isin(CLASSIFICATIONS)),
        "notam_type": pa.Column(STRING, checks=pa.Check.isin(NOTAM_TYPES)),
        "replaces_notice_id": pa.Column(STRING, nullable=True,
                                        checks=pa.Check.str_matches(r"^\S+ \S+$")),
        "category": pa.Column(STRING, checks=pa.Check.isin(CATEGORIES)),
        "effective_start": pa.Column(UTC_TS),
        "effective_end": pa.Column(UTC_TS, nullable=True),
        "end_estimated": pa.Column(bool),
        "lower_fl": pa.Column("Int64", nullable=True, checks=pa.Check.in_range(0, 999)),
        "upper_fl": pa.Column("Int64", nullable=True, checks=pa.Check.in_range(0, 999)),
        "issued": pa.Column(UTC_TS, nullable=True),
        "text": pa.Column(STRING),
        "source_url": pa.Column(STRING, checks=pa.Check.str_matches(r"^https?://")),
        "source": pa.Column(STRING),
        "source_partition": pa.Column(STRING),
    },
    checks=[
        pa.Check(lambda f: f["effective_end"].isna() | (f["effective_end"] >= f["effective_start"]),
                 error="effective_end before effective_start"),
        pa.Check(lambda f: (f["lower_fl"] <= f["upper_fl"]).fillna(True).astype(bool),
                 error="lower_fl above upper_fl"),
    ],
    strict=True,
    ordered=True,
)
COLUMNS = list(AIRSPACE_NOTICES.columns)


def partition_keys(watchlist: Watchlist) -> list[str]:
    return list(watchlist.firs)


def request_params(location: str, page: int) -> dict[str, Any]:
    return {"responseFormat": "geoJson", "icaoLocation": location, "pageSize": PAGE_SIZE,
            "pageNum": page}


def client(ctx: FetchContext, partition: str) -> requests.Session:
    credentials = ctx.credentials.get(SOURCE)
    if credentials is None:
        raise SourceError(SOURCE, partition, "no FAA NOTAM API credentials", CREDENTIALS_FIX)
    return ctx.session(SOURCE, lambda: _session(ctx.settings, credentials))


def _session(settings: Settings, credentials: Credentials) -> requests.Session:
    session = plain_session(settings)
    # The API reads the credentials from these headers on every request; requests does not
    # log headers, and the raw zone stores only URL and params.
    session.headers.update({"client_id": credentials.client_id,
                            "client_secret": credentials.client_secret})
    return session


def fetch(ctx: FetchContext, day: date, location: str) -> None:
    """Fetch every page of the NOTAMs current now for one ICAO location into the raw zone."""
    partition = partition_name(day, location)
    session = client(ctx, partition)
    url = f"{ctx.settings.faa_notam_api_url}/notams"
    with ctx.raw.fetch(SOURCE, partition) as batch:
        page, total_pages = 1, 1
        while page <= total_pages:
            params = request_params(location, page)
            response = send_or_explain(
                # No redirects: requests would forward the secret headers to any host named.
                lambda params=params: session.get(url, params=params, allow_redirects=False,
                                                  timeout=ctx.settings.http_timeout_s),
                source=SOURCE, partition=partition, url=url, url_setting="FDP_FAA_NOTAM_API_URL")
            payload, problem = _payload(response, page)
            batch.add(request=f"page-{page}", url=url, params=params,
                      status=response.status_code, body=response.content,
                      fetched_at=ctx.now(), usable=problem is None, note=problem or "")
            if payload is None:
                raise _failure(partition, url, page, response.status_code, problem)
            total_pages = payload["totalPages"]  # the newest count: NOTAMs come and go
            page += 1


def _payload(response: requests.Response, page: int) -> tuple[dict | None, str | None]:
    """The page's JSON, or why it is unusable."""
    if response.status_code != 200:
        return None, f"HTTP {response.status_code}"
    try:
        payload = json.loads(response.content)
    except ValueError as exc:
        return None, f"not JSON ({exc}); starts with {response.content[:80]!r}"
    if not isinstance(payload, dict):
        return None, f"expected a JSON object, got {type(payload).__name__}"
    missing = [key for key in ("items", "totalPages") if key not in payload]
    if missing:
        return None, f"lacks {missing}; has {sorted(payload)[:10]}"
    total = payload["totalPages"]
    if not isinstance(payload["items"], list) or type(total) is not int or total < 0:
        return None, "items is not a list or totalPages not a count"
    if payload.get("pageNum", page) != page:
        return None, f"asked for page {page}, got page {payload['pageNum']}"
    return payload, None


def _failure(partition: str, url: str, page: int, status: int, problem: str | None
             ) -> SourceError:
    if status in (401, 403):
        return SourceError(SOURCE, partition,
                           f"HTTP {status} from {url}: the API rejected the credentials",
                           CREDENTIALS_FIX)
    if status != 200:
        return SourceError(SOURCE, partition, f"HTTP {status} from {url} (page {page}) after "
                           "retries", f"check the FAA API's status; {RETRY_FIX}")
    return SourceError(SOURCE, partition, f"malformed page {page}: {problem}", RETRY_FIX)


def normalize(responses: list[Response], ctx: NormalizeContext, day: date, location: str
              ) -> pd.DataFrame:
    partition = partition_name(day, location)
    return notices_frame(parse(responses, partition), location=location, partition=partition)


def parse(responses: list[Response], partition: str) -> list[tuple[str, list[Any]]]:
    """(source URL, items) of every page, in page order; all pages must be there."""
    pages = sorted(responses, key=lambda r: _page_number(r.record.request))
    payloads = [json.loads(r.body) for r in pages]
    numbers = [_page_number(r.record.request) for r in pages]
    # fetch stops once it has as many pages as the last one it got says there are
    expected = payloads[-1]["totalPages"] if payloads else 1
    if not numbers or numbers != list(range(1, len(numbers) + 1)) or len(numbers) < expected:
        raise SourceError(SOURCE, partition, f"the raw fetch has pages {numbers} of {expected}",
                          "fetch the partition again (run without --replay)")
    return [(page_url(r.record.url, r.record.params), p["items"])
            for r, p in zip(pages, payloads, strict=True)]


def _page_number(request: str) -> int:
    return int(request.removeprefix("page-"))


def page_url(url: str, params: dict[str, Any]) -> str:
    return f"{url}?{urlencode(sorted(params.items()))}"


def notices_frame(pages: list[tuple[str, list[Any]]], *, location: str, partition: str
                  ) -> pd.DataFrame:
    rows = [_notice(item, f"page {number} item {position}", url, location, partition)
            for number, (url, items) in enumerate(pages, start=1)
            for position, item in enumerate(items)]
    fields = [c for c in COLUMNS if c not in ("notice_key", "source", "source_partition")]
    raw = pd.DataFrame(rows, columns=[*fields, "last_updated"])
    effective_start = _utc(raw["effective_start"], "effectiveStart", partition)
    issued = _utc(raw["issued"], "issued", partition)
    notice_id = raw["notice_id"].astype(STRING)
    frame = pd.DataFrame({
        "notice_id": notice_id,
        "notice_key": notice_keys(notice_id, issued, effective_start),
        **{c: raw[c].astype(STRING) for c in ("issuer", "fir", "affected_fir", "location",
                                             "classification", "notam_type",
                                             "replaces_notice_id", "category")},
        "effective_start": effective_start,
        "effective_end": _utc(raw["effective_end"], "effectiveEnd", partition),
        "end_estimated": raw["end_estimated"].astype(bool),
        "lower_fl": _flight_level(raw["lower_fl"], "minimumFL", partition),
        "upper_fl": _flight_level(raw["upper_fl"], "maximumFL", partition),
        "issued": issued,
        "text": raw["text"].astype(STRING),
        "source_url": raw["source_url"].astype(STRING),
        "source": pd.Series(SOURCE, index=raw.index, dtype=STRING),
        "source_partition": pd.Series(partition, index=raw.index, dtype=STRING),
        "last_updated": _utc(raw["last_updated"], "lastUpdated", partition),
    })
    # A NOTAM can be listed twice (on two pages when the list shifts while we page through
    # it): keep the copy updated last.
    newest = (frame.sort_values("last_updated", kind="stable", na_position="first")
              .drop_duplicates("notice_key", keep="last"))
    out = newest.drop(columns="last_updated").sort_values("notice_key")
    return AIRSPACE_NOTICES.validate(out.reset_index(drop=True))


def _notice(item: Any, where: str, url: str, location: str, partition: str) -> dict[str, Any]:
    notam, translations = _core(item, where, partition)
    missing = [name for name in REQUIRED_FIELDS if not notam.get(name)]
    if missing:
        raise SourceError(SOURCE, partition, f"{where} lacks fields {missing}",
                          "the API's format changed: update pipeline/sources/faa_notam.py")
    issuer = issuer_of(notam["accountId"])
    number = icao_number(notam["number"], notam.get("series"))
    end = notam.get("effectiveEnd") or PERMANENT
    texts = [notam["text"], *(t.get(key) or "" for t in translations
                              for key in ("simpleText", "formattedText"))]
    permanent = end == PERMANENT
    affected_fir = notam.get("affectedFIR") or None
    return {
        "notice_id": f"{issuer} {number}",
        "issuer": issuer,
        "fir": icao_fir(affected_fir or location),
        "affected_fir": affected_fir,
        "location": notam.get("icaoLocation") or notam.get("location"),
        "classification": notam.get("classification"),
        "notam_type": notam["type"],
        "replaces_notice_id": replaced_notice(issuer, number, texts),
        "category": categorize(notam["text"], notam["type"]),
        "effective_start": notam["effectiveStart"],
        "effective_end": None if permanent else end,
        # effectiveEnd is a plain time; only the texts say that it is an estimate
        "end_estimated": not permanent and any(ESTIMATED_END.search(t) for t in texts),
        "lower_fl": notam.get("minimumFL"),
        "upper_fl": notam.get("maximumFL"),
        "issued": notam.get("issued"),
        "text": notam["text"],
        "source_url": url,
        "last_updated": notam.get("lastUpdated"),
    }


def _core(item: Any, where: str, partition: str) -> tuple[dict[str, Any], list[dict]]:
    try:
        core = item["properties"]["coreNOTAMData"]
        notam, translations = core["notam"], core.get("notamTranslation") or []
    except (TypeError, KeyError) as exc:
        raise SourceError(SOURCE, partition, f"{where} is not a NOTAM feature (no {exc})",
                          "inspect the raw body; the API may have changed its format") from exc
    if not isinstance(notam, dict) or not isinstance(translations, list):
        raise SourceError(SOURCE, partition, f"{where}: notam is not an object",
                          "inspect the raw body; the API may have changed its format")
    return notam, [t for t in translations if isinstance(t, dict)]


def issuer_of(account_id: str) -> str:
    """The issuing NOTAM office: KICZ, or EDDZ for the AFTN address EDDZYNYX."""
    match = NOF_ADDRESS.match(account_id)
    return match.group(1) if match else account_id


def icao_number(number: str, series: str | None) -> str:
    """Series, number and year as ICAO writes them: A0012/25. The API gives international
    NOTAMs' number with the series ("A2157/24"); US domestic ones ("07/025", FDC "3/8210")
    have none and are kept as they are."""
    if series and ICAO_NUMBER.match(number):
        return f"{series}{number}"
    return number


def notice_keys(notice_id: pd.Series, issued: pd.Series, effective_start: pd.Series
                ) -> pd.Series:
    """A key that next year's notices cannot take: the notice id when its number carries its
    year ("KICZ A0012/25"), else the id and the UTC year it was issued, or started when the
    API gives no issue time ("GDJ 11/007 2025", "FDC 3/8210 2023")."""
    year = issued.dt.year.fillna(effective_start.dt.year).astype("Int64").astype(STRING)
    dated = notice_id.str.split(" ", n=1).str[1].str.fullmatch(NUMBER_WITH_YEAR.pattern)
    return notice_id.where(dated.astype(bool), notice_id + " " + year).astype(STRING)


def icao_fir(code: str) -> str:
    """The FIR as ICAO names it: a 4-letter code as it is, an FAA ARTCC identifier through
    ICAO_FIR_OF_ARTCC; anything else is kept as it is, with one warning per value."""
    if ICAO_LOCATION.match(code):
        return code
    if code in ICAO_FIR_OF_ARTCC:
        return ICAO_FIR_OF_ARTCC[code]
    _warn_unknown_fir(code)
    return code


@cache
def _warn_unknown_fir(code: str) -> None:
    log.warning("%s: affectedFIR %r is neither a 4-letter ICAO code nor a known ARTCC "
                "identifier, so fir keeps it as it is. Fix: add its ICAO FIR code to "
                "ICAO_FIR_OF_ARTCC in pipeline/sources/faa_notam.py", SOURCE, code)


def replaced_notice(issuer: str, number: str, texts: list[str]) -> str | None:
    """The notice a replacement or cancellation names in its ICAO first line: for KICZ's
    "A0008/23 NOTAMC A0013/19", "KICZ A0013/19" (an office replaces and cancels only its own
    NOTAMs). Only a first line that starts with the NOTAM's own number is its header."""
    for text in texts:
        header = ICAO_HEADER.match(text.lstrip())
        if (header and header["number"] == number and header["action"] in ("R", "C")
                and header["target"]):
            return f"{issuer} {header['target']}"
    return None


def categorize(text: str, notam_type: str | None = None) -> str:
    """The first rule in RULES whose pattern is in the text, else "other". A cancellation
    (type C) that says it cancels is "other" whatever it repeats of what it lifts."""
    if notam_type == "C" and CANCELLATION.search(text):
        return "other"
    return next((category for category, pattern, _why in RULES if pattern.search(text)),
                "other")


def _utc(values: pd.Series, field: str, partition: str) -> pd.Series:
    not_text = values.dropna().map(lambda v: not isinstance(v, str))
    try:
        if not_text.any():  # a number would be read as an epoch by a later pandas: refuse it
            raise TypeError(f"{values[not_text.index[not_text]].iloc[0]!r} is not text")
        return pd.to_datetime(values, utc=True, format="ISO8601").astype(UTC_TS)
    except (ValueError, TypeError) as exc:
        raise SourceError(SOURCE, partition, f"{field} is not an ISO 8601 time ({exc})",
                          "the API's format changed: update pipeline/sources/faa_notam.py"
                          ) from exc


def _flight_level(values: pd.Series, field: str, partition: str) -> pd.Series:
    try:
        return pd.to_numeric(values, errors="raise").astype("Int64")
    except (ValueError, TypeError) as exc:
        raise SourceError(SOURCE, partition, f"{field} is not a flight level ({exc})",
                          "the API's format changed: update pipeline/sources/faa_notam.py"
                          ) from exc
