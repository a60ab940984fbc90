"""Airlines reference: OpenFlights airlines.dat (community-maintained, public) with the curated
file pipeline/reference/airlines_curated.csv winning wherever both know an ICAO designator.

fetch: in ONE raw fetch, download airlines.dat from FDP_OPENFLIGHTS_AIRLINES_URL (request
"openflights") and copy the curated file (request "curated"). A failed download does not fail
the fetch: it is kept as an unusable response whose note says why, and the newest good
OpenFlights copy already in the raw zone is carried forward (request "openflights-carried"), so a
network blip does not shrink the table to the curated rows. With no earlier copy (first run
offline) the night goes on with the curated file alone, and the log says so.

normalize: -> the `airlines` frame, one row per (ICAO designator, validity start). OpenFlights
rows without a 3-letter ICAO designator are dropped; curated rows replace every OpenFlights row
of their designator. A snapshot source: one partition, `airlines`, whatever the night."""

from __future__ import annotations

import io
import logging
from datetime import date
from pathlib import Path

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from pipeline.errors import SourceError
from pipeline.reference.airlines import (
    COUNTRY,
    CURATED_AIRLINES,
    IATA_AIRLINE,
    ICAO_AIRLINE,
    STRING,
    load_curated,
)
from pipeline.sources.base import FetchContext, NormalizeContext, Response
from pipeline.sources.live_copy import LiveCopy, usable
from pipeline.watchlist import Watchlist

SOURCE = "airlines"
TABLE = "airlines"
SNAPSHOT = True  # the reference as known now applies to every night
PARTITION = "airlines"
URL_VARIABLE = "FDP_OPENFLIGHTS_AIRLINES_URL"
OPENFLIGHTS, CARRIED, CURATED = "openflights", "openflights-carried", "curated"  # request names
FIELDS = ("id", "name", "alias", "iata", "icao", "callsign", "country", "active")
NULL = r"\N"  # airlines.dat's null
COUNTRY_NAMES = Path(__file__).resolve().parent.parent / "reference" / "openflights_countries.csv"
TAIL = r"\s+\S"  # a field that starts with blanks: the tail of a name split at a comma
CUT_NOTE = ("OpenFlights split this airline's name at its commas; the name was glued back and "
            "the country, lost in the split, is unknown")
log = logging.getLogger(__name__)


def _optional(pattern: str | None = None) -> pa.Column:
    return pa.Column(STRING, nullable=True,
                     checks=[pa.Check.str_matches(pattern)] if pattern else [])


AIRLINES = pa.DataFrameSchema(
    {
        "airline_icao": pa.Column(STRING, checks=pa.Check.str_matches(ICAO_AIRLINE)),
        "iata": _optional(IATA_AIRLINE),
        "name": pa.Column(STRING, checks=pa.Check.str_length(min_value=1)),
        "callsign": _optional(),
        "country": _optional(COUNTRY),
        "active": pa.Column("boolean", nullable=True),
        "valid_from": pa.Column("datetime64[us]", nullable=True),
        "valid_to": pa.Column("datetime64[us]", nullable=True),
        "origin": pa.Column(STRING, checks=pa.Check.isin(["curated", "openflights"])),
        "note": _optional(),
        "source": pa.Column(STRING, checks=pa.Check.isin([SOURCE])),
        "source_partition": pa.Column(STRING, checks=pa.Check.isin([PARTITION])),
    },
    unique=["airline_icao", "valid_from"],
    strict=True,
    ordered=True,
)
COLUMNS = list(AIRLINES.columns)
_TYPED = {"active": "boolean", "valid_from": "datetime64[us]", "valid_to": "datetime64[us]"}


def partition_keys(watchlist: Watchlist) -> list[str]:
    return [PARTITION]


# --- fetch -----------------------------------------------------------------------------------

def fetch(ctx: FetchContext, day: date, key: str) -> None:
    url = ctx.settings.openflights_airlines_url
    curated = CURATED_AIRLINES.read_bytes()
    previous = OPENFLIGHTS_COPY.newest_good(ctx.raw)
    with ctx.raw.fetch(SOURCE, PARTITION) as batch:
        if url:  # empty: offline by choice (the demo), the curated file alone
            OPENFLIGHTS_COPY.fetch_into(batch, ctx, url, previous)
        batch.add(request=CURATED, url=CURATED_AIRLINES.as_uri(), params={}, status=200,
                  body=curated, fetched_at=ctx.now())


def _download_problem(body: bytes) -> str | None:
    try:
        frame, _ = read_openflights(body)
    except ValueError as exc:  # UnicodeDecodeError and pandas' ParserError are ValueErrors
        return f"the body is not airlines.dat ({exc})"
    if not _matches(frame["icao"], ICAO_AIRLINE).any():
        return f"the body is not airlines.dat (no airline rows); starts with {body[:60]!r}"
    return None


OPENFLIGHTS_COPY = LiveCopy(
    source=SOURCE, partition=PARTITION, request=OPENFLIGHTS, carried=CARRIED,
    label="OpenFlights", fallback="the curated rows", url_setting=URL_VARIABLE,
    problem=_download_problem,
)


# --- normalize -------------------------------------------------------------------------------

def normalize(responses: list[Response], ctx: NormalizeContext, day: date, key: str
              ) -> pd.DataFrame:
    curated = _curated_rows(_one_body(responses, CURATED))
    frame = curated
    openflights = OPENFLIGHTS_COPY.usable_copies(responses)
    if openflights:
        rows = openflights_rows(openflights[0].body)
        frame = pd.concat([curated, rows[~rows["airline_icao"].isin(curated["airline_icao"])]])
    else:
        log.warning("%s %s: no usable OpenFlights copy in this fetch; only the curated rows "
                    "are loaded", SOURCE, PARTITION)
    frame = frame.assign(source=SOURCE, source_partition=PARTITION)[COLUMNS]
    frame = frame.astype({c: STRING for c in COLUMNS if c not in _TYPED}).astype(_TYPED)
    frame = frame.sort_values(["airline_icao", "valid_from"], na_position="first")
    return AIRLINES.validate(frame.reset_index(drop=True))


def _one_body(responses: list[Response], request: str) -> bytes:
    found = usable(responses, {request})
    if len(found) != 1:
        raise SourceError(SOURCE, PARTITION, f"the raw fetch has {len(found)} usable "
                          f"{request!r} responses, expected 1", "fetch the partition again")
    return found[0].body


def _curated_rows(body: bytes) -> pd.DataFrame:
    try:
        curated = load_curated(io.BytesIO(body))
    except (pandera.errors.SchemaError, ValueError) as exc:
        raise SourceError(SOURCE, PARTITION, f"the curated airlines file is invalid: {exc}",
                          f"correct {CURATED_AIRLINES} and fetch again") from exc
    # The table is keyed by ICAO: a row known only by its IATA code (Plus Ultra) stays out.
    keyed = curated[curated["icao"].notna()]
    return pd.DataFrame({
        "airline_icao": keyed["icao"], "iata": keyed["iata"], "name": keyed["name"],
        "callsign": pd.NA,  # curated rows carry none; OpenFlights' may belong to another holder
        "country": keyed["country"],
        "active": keyed["valid_to"].isna(),  # a closed period is a former holder
        "valid_from": keyed["valid_from"], "valid_to": keyed["valid_to"],
        "origin": "curated", "note": keyed["note"],
    })


def read_openflights(body: bytes) -> tuple[pd.DataFrame, int]:
    """airlines.dat as strings (no header, `\\N` = null), unstripped; and how many lines were
    skipped for having more fields than the format's eight."""
    skipped: list[list[str]] = []
    frame = pd.read_csv(io.BytesIO(body), header=None, names=list(FIELDS), dtype=str,
                        keep_default_na=False, na_values=[NULL], encoding="utf-8",
                        engine="python", on_bad_lines=skipped.append)  # append() -> None: skip
    return frame.astype(STRING), len(skipped)


def openflights_rows(body: bytes) -> pd.DataFrame:
    """airlines.dat -> airline rows with a 3-letter ICAO designator, one per designator."""
    raw, skipped = read_openflights(body)
    if skipped:
        log.warning("%s %s: skipped %d airlines.dat lines with more than 8 fields", SOURCE,
                    PARTITION, skipped)
    frame = _glue_cut_names(raw)
    frame = frame.apply(lambda column: column.str.strip()).replace("", pd.NA)
    frame = frame[_matches(frame["icao"], ICAO_AIRLINE) & frame["name"].notna()]
    frame = _one_per_designator(frame.assign(
        iata=_iata(frame["iata"]), country=country_codes(frame["country"]),
        active=frame["active"].str.upper().map({"Y": True, "N": False}).astype("boolean")))
    return pd.DataFrame({
        "airline_icao": frame["icao"], "iata": frame["iata"], "name": frame["name"],
        "callsign": frame["callsign"], "country": frame["country"], "active": frame["active"],
        "valid_from": pd.NaT, "valid_to": pd.NaT, "origin": "openflights", "note": frame["note"],
    })


def _glue_cut_names(raw: pd.DataFrame) -> pd.DataFrame:
    """OpenFlights' export split names at commas ("Alaska Airlines, Inc." -> name "Alaska
    Airlines", callsign " Inc.", country "ALASKA"): a callsign that starts with a space is such a
    tail. Glue the tails (one or two) back onto the name, take the callsign from where it
    landed, and drop the country, which the split pushed out of the row."""
    first = _matches(raw["callsign"], TAIL)
    second = first & _matches(raw["country"], TAIL)
    tails = ("," + raw["callsign"]).where(first, "") + ("," + raw["country"]).where(second, "")
    return raw.assign(
        name=raw["name"] + tails,
        callsign=raw["callsign"].mask(first, raw["country"].mask(second)),
        country=raw["country"].mask(first),
        note=pd.Series(pd.NA, index=raw.index, dtype=STRING).mask(first, CUT_NOTE),
    )


def _matches(values: pd.Series, pattern: str) -> pd.Series:
    """Plain booleans (NULL -> False), safe to combine and to index with."""
    return values.str.match(pattern).fillna(False).astype(bool)


def _iata(values: pd.Series) -> pd.Series:
    codes = values.str.upper()  # the file has a few lower-case codes ("8z")
    return codes.where(_matches(codes, IATA_AIRLINE))  # "-", "??", ... are no codes


def country_codes(names: pd.Series) -> pd.Series:
    """Country names as OpenFlights writes them -> ISO 3166-1 alpha-2, through the table in
    pipeline/reference/openflights_countries.csv; a name it lacks becomes NULL (and is logged)."""
    table = pd.read_csv(COUNTRY_NAMES, dtype=str, keep_default_na=False, encoding="utf-8")
    lookup = dict(zip(table["name"].str.casefold(), table["country"], strict=True))
    codes = names.str.casefold().map(lookup).astype(STRING)
    unknown = names[names.notna() & codes.isna()]
    if len(unknown):
        log.warning("%s %s: %d OpenFlights rows name a country missing from %s (left NULL), "
                    "e.g. %s", SOURCE, PARTITION, len(unknown), COUNTRY_NAMES.name,
                    ", ".join(sorted(unknown.unique())[:5]))
    return codes


def _one_per_designator(frame: pd.DataFrame) -> pd.DataFrame:
    """OpenFlights lists some designators twice (JAL, TYR, SWR...): keep the active row, then
    the oldest entry (lowest id), which is the airline the designator was first recorded for."""
    ordered = frame.assign(_id=pd.to_numeric(frame["id"], errors="coerce")).sort_values(
        ["active", "_id"], ascending=[False, True], na_position="last")
    kept = ordered.drop_duplicates("icao", keep="first").drop(columns="_id")
    if len(kept) < len(frame):
        log.info("%s %s: %d duplicate OpenFlights designator rows dropped", SOURCE, PARTITION,
                 len(frame) - len(kept))
    return kept
