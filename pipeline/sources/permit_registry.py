"""The permit-action registry: official acts that have no feed (INAC revocations, DOT orders,
EU Air Safety List entries...), curated as a CSV in the repo, every row citing its source.

fetch: check every row (problems name file, line and column) and copy the file into the raw
zone. A file with problems is kept there too, marked unusable, and the newest good copy is
carried forward beside it, so one bad edit never blocks a night: the night loads the last good
registry and says why (load_log message, log warning, `fdp run` output). With no good copy yet,
the fetch fails and lists the problems. Replay reads the file again as well: it is local, and a
fix (or an edit) is picked up without a live run.
normalize: the usable copy -> the `permit_actions` frame.
A snapshot source: one partition, `registry`, whatever the night."""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import date, datetime

import pandas as pd
import pandera.pandas as pa

from pipeline.errors import SourceError
from pipeline.raw import RawRecord, RawZone
from pipeline.sources.base import FetchContext, NormalizeContext, Response
from pipeline.sources.live_copy import usable
from pipeline.watchlist import Watchlist

SOURCE = "permit_registry"
TABLE = "permit_actions"
SNAPSHOT = True  # the registry as currently curated applies to every night
PARTITION = "registry"
COPY, CARRIED = "csv", "csv-carried"  # request names: the file as read, a good copy carried
log = logging.getLogger(__name__)

COLUMNS = (
    "action_id", "authority", "authority_country", "action", "carrier_icao", "carrier_iata",
    "carrier_name", "jurisdiction_country", "scope", "effective_date", "end_date",
    "announced_date", "source_url", "source_title", "notes",
)
ACTIONS = (
    "revoked", "suspended", "restored", "banned", "restricted", "prohibited_airspace",
    "advisory_airspace", "sanctioned", "voluntary_suspension", "voluntary_resumption",
)
DATE_COLUMNS = ("effective_date", "end_date", "announced_date")
_ACTION_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")  # ISO 3166-1 alpha-2, plus EU
_ICAO_AIRLINE = re.compile(r"^[A-Z]{3}$")
_IATA_AIRLINE = re.compile(r"^[A-Z0-9]{2}$")
_TAGS = re.compile(r"^((?:\[[a-z-]+\])+)")
STRING = pd.StringDtype()

PERMIT_ACTIONS = pa.DataFrameSchema(
    {
        "action_id": pa.Column(STRING, unique=True),
        **{c: pa.Column(STRING, nullable=True) for c in ("authority", "authority_country")},
        "action": pa.Column(STRING, checks=pa.Check.isin(ACTIONS)),
        **{c: pa.Column(STRING, nullable=True)
           for c in ("carrier_icao", "carrier_iata", "carrier_name")},
        "jurisdiction_country": pa.Column(STRING),
        "scope": pa.Column(STRING, nullable=True),
        "effective_date": pa.Column("datetime64[us]"),
        "end_date": pa.Column("datetime64[us]", nullable=True),
        "announced_date": pa.Column("datetime64[us]", nullable=True),
        "source_url": pa.Column(STRING, checks=pa.Check.str_matches(r"^https?://")),
        **{c: pa.Column(STRING, nullable=True) for c in ("source_title", "notes", "tags")},
        "source_partition": pa.Column(STRING),
    },
    strict=True,
    ordered=True,
)


class RegistryError(SourceError):
    def __init__(self, path: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(SOURCE, PARTITION, f"{len(problems)} problem(s) in {path}:\n  "
                         f"{_listed(problems)}\n", f"correct those rows in {path}, then rerun "
                         "(`fdp run --replay` reads the registry file again); nothing was loaded")


def _listed(problems: list[str], limit: int = 25) -> str:
    more = f"\n  ... and {len(problems) - limit} more" if len(problems) > limit else ""
    return "\n  ".join(problems[:limit]) + more


def partition_keys(watchlist: Watchlist) -> list[str]:
    return [PARTITION]


def fetch(ctx: FetchContext, day: date, key: str) -> None:
    path = ctx.settings.registry_path
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise SourceError(SOURCE, PARTITION, f"cannot read {path} ({exc})",
                          "set FDP_REGISTRY to the registry CSV") from exc
    previous = newest_good_copy(ctx.raw)  # read before this fetch becomes the newest
    problems = _problems(body, path.as_uri())
    note = ""
    if problems:
        note = (f"{path} has {len(problems)} problem(s), so the registry copy read "
                f"{previous.fetched_at if previous else '(none)'} is used: "
                + "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
                + ". Fix: correct those rows, then rerun the night (--replay reads the file "
                "again)")
    with ctx.raw.fetch(SOURCE, PARTITION) as batch:
        batch.add(request=COPY, url=path.as_uri(), params={}, status=200, body=body,
                  fetched_at=ctx.now(), usable=not problems, note=note)
        if not problems:
            return
        if previous is None:
            raise RegistryError(str(path), problems)
        # The note reaches the user with the load (nightly.unusable_notes). The carried copy
        # keeps its own fetch time: the registry is that old.
        batch.add(request=CARRIED, url=previous.url, params={}, status=200,
                  body=ctx.raw.read(previous), fetched_at=datetime.fromisoformat(
                      previous.fetched_at), note=f"copy read {previous.fetched_at}, carried "
                  f"forward: {path} has problems")


def newest_good_copy(raw: RawZone) -> RawRecord | None:
    return next((r for r in raw.latest(SOURCE, PARTITION)
                 if r.usable and r.request in (COPY, CARRIED)), None)


def _problems(body: bytes, path: str) -> list[str]:
    try:
        validate(body.decode("utf-8-sig"), path, airlines=None)
    except UnicodeDecodeError as exc:
        return [f"the file is not UTF-8 ({exc})"]
    except RegistryError as exc:
        return exc.problems
    return []


def normalize(responses: list[Response], ctx: NormalizeContext, day: date, key: str
              ) -> pd.DataFrame:
    [response] = usable(responses, {COPY, CARRIED})
    rows = validate(response.body.decode("utf-8-sig"), response.record.url, ctx.airlines)
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).replace("", pd.NA)
    frame = frame.astype({c: STRING for c in COLUMNS if c not in DATE_COLUMNS})
    for column in DATE_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d").astype("datetime64[us]")
    frame["tags"] = frame["notes"].str.extract(_TAGS, expand=False).str.replace(
        "][", ",").str.strip("[]").astype(STRING)
    frame["source_partition"] = pd.Series(PARTITION, index=frame.index, dtype=STRING)
    return PERMIT_ACTIONS.validate(frame.sort_values("action_id").reset_index(drop=True))


def validate(text: str, path: str, airlines: frozenset[str] | None) -> list[dict[str, str]]:
    """Every row checked; all problems reported at once, each with line and column. An
    unknown carrier designator is only a warning (none without `airlines`): the row is kept."""
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    if header != COLUMNS:
        missing = [c for c in COLUMNS if c not in header]
        extra = [c for c in header if c not in COLUMNS]
        raise RegistryError(path, [f"line 1: header must be {','.join(COLUMNS)} "
                                   f"(missing {missing}, unexpected {extra})"])
    problems: list[str] = []
    seen: dict[str, int] = {}
    rows = []
    for row in reader:
        line = reader.line_num
        if None in row:  # more cells than columns
            problems.append(f"line {line}: {len(row[None])} cell(s) beyond the last column")
            continue
        row = {k: (v or "").strip() for k, v in row.items()}
        problems += [f"line {line}, column {column}: {message}"
                     for column, message in _row_problems(row)]
        if row["action_id"] in seen:
            problems.append(f"line {line}, column action_id: duplicate of line "
                            f"{seen[row['action_id']]} ({row['action_id']})")
        seen.setdefault(row["action_id"], line)
        if airlines is not None and row["carrier_icao"] and row["carrier_icao"] not in airlines:
            log.warning("%s line %d, column carrier_icao: %s is not a known airline "
                        "designator (row kept)", path, line, row["carrier_icao"])
        rows.append(row)
    if problems:
        raise RegistryError(path, problems)
    return rows


def _row_problems(row: dict[str, str]) -> list[tuple[str, str]]:
    problems = []
    if not _ACTION_ID.match(row["action_id"]):
        problems.append(("action_id", f"{row['action_id']!r} must be lower-case words "
                                      "joined by hyphens"))
    if row["action"] not in ACTIONS:
        problems.append(("action", f"unknown action {row['action']!r}; one of "
                                   f"{', '.join(ACTIONS)}"))
    dates = {}
    for column in DATE_COLUMNS:
        value = row[column]
        if not value and column != "effective_date":
            continue
        try:
            dates[column] = date.fromisoformat(value)
        except ValueError:
            problems.append((column, f"{value!r} is not a YYYY-MM-DD date"))
    if "end_date" in dates and "effective_date" in dates and (
        dates["end_date"] < dates["effective_date"]
    ):
        problems.append(("end_date", f"{row['end_date']} is before effective_date "
                                     f"{row['effective_date']}"))
    if not row["source_url"].startswith(("http://", "https://")):
        problems.append(("source_url", "every act must cite an http(s) source URL"))
    for column in ("jurisdiction_country", "authority_country"):
        if (row[column] or column == "jurisdiction_country") and not _COUNTRY.match(row[column]):
            problems.append((column, f"{row[column]!r} is not an ISO 3166-1 alpha-2 code"))
    if row["carrier_icao"] and not _ICAO_AIRLINE.match(row["carrier_icao"]):
        problems.append(("carrier_icao", f"{row['carrier_icao']!r} is not a 3-letter designator"))
    if row["carrier_iata"] and not _IATA_AIRLINE.match(row["carrier_iata"]):
        problems.append(("carrier_iata", f"{row['carrier_iata']!r} is not a 2-character code"))
    return problems
