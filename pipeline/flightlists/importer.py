"""Flight-list files -> staged Parquet partitions of `flights`, and a summary of what was read.

Each file is kept in the raw zone, then streamed in chunks: its format's module turns a chunk
into `flights` rows, which are checked against pipeline.schemas.FLIGHTS and appended to the
Parquet file of their partition, `YYYY-MM/<file key>@<path id>`: the month of flight_date, the
file's name and a hash of its full path. So re-importing a file (the same path) replaces its
rows, and files of one month coexist whatever their names. A file whose content an earlier
import under another path already loaded is skipped: its rows are there. A flight two files
both give is stored once (sql/load/flights). Load the returned partitions with
pipeline.store.load_partitions.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.config import Settings
from pipeline.flightlists import anac_vra, bts, opensky_flightlist
from pipeline.flightlists.files import (
    CHUNK_ROWS,
    Chunk,
    FlightListError,
    Normalized,
    file_key,
    issues,
)
from pipeline.flightlists.mapping import Reference, load_reference
from pipeline.raw import RawZone, sha256_hex, utc_text
from pipeline.schemas import FLIGHTS, STRING
from pipeline.sources.base import utc_now
from pipeline.staging import content_sha256
from pipeline.store import StagedPartition

TABLE = "flights"
# The raw zone takes a body as bytes, so a copy holds the whole file in memory once. A BTS
# month is ~30 MB zipped (copied) and ~250 MB unzipped (not copied: sha256 and size only).
RAW_COPY_MAX_BYTES = 200 * 1024 * 1024
FIRST_ISSUES = 20
# flight_id = sha256 prefix of the source and these; dep_key is the scheduled departure as the
# source writes it (the first-seen time when there is no schedule: OpenSky)
ID_COLUMNS = ("carrier_code", "flight_number", "origin_code", "dest_code", "dep_key", "icao24")
TEXT_COLUMNS = tuple(name for name, column in FLIGHTS.columns.items()
                     if column.dtype.check(STRING))


class FlightListFormat(Protocol):
    SOURCE: str

    def read(self, path: Path, chunk_rows: int) -> Iterator[Chunk]: ...

    def normalize(self, chunk: Chunk, ref: Reference) -> Normalized: ...


FORMATS: dict[str, FlightListFormat] = {
    "bts-ontime": bts,
    "anac-vra": anac_vra,
    "opensky-flightlist": opensky_flightlist,
}


class Progress(Protocol):
    """What a long import reports as it goes (the CLI draws it on stderr)."""

    def read(self, path: Path, rows: int) -> None: ...

    def loading(self, partitions: int) -> None: ...


@dataclass
class ImportResult:
    staged: list[dict[str, Any]]  # asdict(StagedPartition), for pipeline.store.load_partitions
    summary: dict[str, Any]


def import_files(
    paths: list[Path],
    fmt: str,
    settings: Settings,
    *,
    reference: Reference | None = None,
    chunk_rows: int = CHUNK_ROWS,
    now: Callable[[], datetime] = utc_now,
    loaded_contents: Mapping[str, list[str]] | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """`loaded_contents`: sha256 of each file content already loaded -> its partitions.
    `progress` is told each chunk's rows as they are read."""
    if fmt not in FORMATS:
        raise FlightListError(f"unknown format {fmt!r}: use one of {sorted(FORMATS)}")
    module = FORMATS[fmt]
    files = _keyed(paths, fmt)
    reference = reference or load_reference()
    tally = Tally(fmt, module.SOURCE)
    staged: list[dict[str, Any]] = []
    for path, key in files:
        digest = file_sha256(path)
        with _unreadable_as(path, fmt, digest):
            elsewhere = [p for p in (loaded_contents or {}).get(digest, [])
                         if not p.endswith(f"/{key}")]
            if elsewhere:
                tally.skipped.append(f"{path}: the same content is already loaded, as "
                                     f"{', '.join(sorted(elsewhere)[:3])}; nothing to do")
                continue
            raw = keep_raw(path, module.SOURCE, key, settings.raw_dir, now(), digest)
            tally.files.append({"file": str(path), "key": key, **asdict(raw)})
            staged += stage_file(path, key, module, reference, settings.staging_dir, raw,
                                 chunk_rows, tally, progress)
    return ImportResult(staged, tally.summary())


def import_and_load(paths: list[Path], fmt: str, settings: Settings, run_id: str,
                    progress: Progress | None = None) -> dict[str, Any]:
    """`fdp import`: stage the files, load and publish them; returns the summary with what
    each partition's load did. A file that cannot be read, or a load that fails, is logged
    as failed in load_log and published, as a failed night is. `progress` is told each
    chunk's rows as they are read, then the partitions about to load."""
    from pipeline import nightly  # the loader: only when loading

    source = FORMATS[fmt].SOURCE if fmt in FORMATS else fmt
    try:
        result = import_files(paths, fmt, settings, progress=progress,
                              loaded_contents=loaded_contents(settings, source))
    except FlightListError as exc:
        if isinstance(exc, UnreadableFile):
            nightly.record_failure(settings, source, f"{exc.path.name}@{path_id(exc.path)}",
                                   run_id, exc.sha256, str(exc))
        raise
    if progress and result.staged:
        progress.loading(len(result.staged))
    loaded = nightly.load_night(result.staged, settings, run_id) if result.staged else []
    return {**result.summary, "loaded": loaded}


def loaded_contents(settings: Settings, source: str) -> dict[str, list[str]]:
    """sha256 of each file content already loaded -> its partitions (from the published
    copy, so the writer's file stays free)."""
    from pipeline import store

    if not settings.published_path.exists():
        return {}
    with store.connect_published(settings) as con:
        rows = con.execute(store.sql_file("load/loaded_contents.sql"), {"source": source}
                           ).fetchall()
    return {sha: partitions for sha, partitions in rows}


def _keyed(paths: list[Path], fmt: str) -> list[tuple[Path, str]]:
    if not paths:
        raise FlightListError("no files to import")
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FlightListError(f"no such file: {', '.join(missing)}")
    keyed = {}
    for path in paths:
        with _unreadable_as(path, fmt):
            keyed[path.resolve()] = f"{file_key(path)}@{path_id(path)}"
    return list(keyed.items())


def path_id(path: Path) -> str:
    """A file's full identity: a short hash of its resolved path. Two files that share a name
    in different folders are two files, never one replacing the other."""
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]


class UnreadableFile(FlightListError):
    """A file that cannot be imported at all: which one, and its content's sha256 if known."""

    def __init__(self, message: str, path: Path, sha256: str | None) -> None:
        super().__init__(message)
        self.path, self.sha256 = path, sha256


@contextmanager
def _unreadable_as(path: Path, fmt: str, sha256: str | None = None) -> Iterator[None]:
    try:
        yield
    except UnreadableFile:
        raise
    except FlightListError as exc:
        raise UnreadableFile(str(exc), path, sha256) from exc
    except (pd.errors.ParserError, zipfile.BadZipFile, gzip.BadGzipFile, EOFError) as exc:
        raise UnreadableFile(f"{path}: cannot be read as {fmt} ({exc}); nothing of it was "
                             "loaded", path, sha256) from exc


@dataclass(frozen=True)
class RawCopy:
    sha256: str
    bytes: int
    copied: bool
    fetched_at: str  # when this content was first read from this path (naive UTC ISO text)


def keep_raw(path: Path, source: str, key: str, raw_dir: Path, fetched_at: datetime,
             digest: str) -> RawCopy:
    """The input file into the raw zone (partition = file key), or, over the size limit, only
    its sha256 and size: the manifest then says where the file was. The same content from the
    same path adds nothing, so its rows keep their fetch time (and a re-import is a no-op)."""
    size, url = path.stat().st_size, path.resolve().as_uri()
    zone = RawZone(raw_dir)
    with zone.fetch(source, key) as batch:
        if size <= RAW_COPY_MAX_BYTES:
            batch.add(request="file", url=url, params={}, status=200,
                      body=path.read_bytes(), fetched_at=fetched_at)
        else:
            # sha256 and size in params too, so that a changed file makes a new manifest entry
            batch.add(request="file", url=url, params={"sha256": digest, "bytes": size},
                      status=200, body=b"", fetched_at=fetched_at, usable=False,
                      note=f"not copied: {size} bytes is over the {RAW_COPY_MAX_BYTES}-byte "
                           f"limit; sha256 {digest}; the file was {path.resolve()}")
    [record] = zone.latest(source, key)
    return RawCopy(digest, size, copied=record.usable, fetched_at=utc_text(record.fetched_at))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def stage_file(
    path: Path,
    key: str,
    module: FlightListFormat,
    reference: Reference,
    staging_dir: Path,
    raw: RawCopy,
    chunk_rows: int,
    tally: Tally,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    seen = SeenFlights()
    with PartitionFiles(staging_dir / module.SOURCE) as partitions:
        for chunk in module.read(path, chunk_rows):
            out = module.normalize(chunk, reference)
            tally.read(chunk, out)
            if progress:
                progress.read(path, len(chunk.rows))
            frame = with_ids(out.frame, module.SOURCE, key)
            duplicate = seen.duplicates(frame["flight_id"])
            tally.duplicates.add(chunk.file, issues(frame["line"].to_numpy()[duplicate],
                                                    _described(frame[duplicate])))
            frame = FLIGHTS.validate(
                frame.loc[~duplicate, list(FLIGHTS.columns)].reset_index(drop=True))
            tally.staged(frame)
            partitions.write(frame)
    return [asdict(StagedPartition(module.SOURCE, TABLE, part.partition, str(part.path),
                                   part.rows, raw.sha256, part.content_sha256(raw.fetched_at),
                                   raw.fetched_at))
            for part in partitions.done]


def with_ids(frame: pd.DataFrame, source: str, key: str) -> pd.DataFrame:
    """Add flight_id, source and source_partition; strings as the schema's string type."""
    frame = frame.assign(**{c: frame[c].astype(STRING) for c in TEXT_COLUMNS if c in frame})
    identity = source + "|" + frame["flight_date"].dt.strftime("%Y-%m-%d").astype(STRING)
    for column in ID_COLUMNS:
        identity = identity + "|" + frame[column].astype(STRING).fillna("")
    return frame.assign(
        flight_id=identity.map(lambda k: hashlib.sha256(k.encode()).hexdigest()[:20]
                               ).astype(STRING),
        source=pd.Series(source, index=frame.index, dtype=STRING),
        source_partition=(frame["flight_date"].dt.strftime("%Y-%m") + "/" + key).astype(STRING),
    )


def _described(frame: pd.DataFrame) -> pd.Series:
    def text(column: str) -> pd.Series:
        return frame[column].astype(STRING).fillna("?")
    return ("duplicate of an earlier row: " + text("carrier_code") + " " + text("flight_number")
            + " " + text("origin_code") + "-" + text("dest_code") + " " + text("dep_key"))


class SeenFlights:
    """The flight_ids a file has given so far, as a sorted array of 20-byte strings: ~12 MB for
    a BTS month (~600k flights), where a Python set of str would take ~70 MB."""

    def __init__(self) -> None:
        self.ids = np.array([], dtype="S20")

    def duplicates(self, flight_ids: pd.Series) -> np.ndarray:
        ids = np.array(flight_ids.to_numpy(dtype=object), dtype="S20")
        duplicate = flight_ids.duplicated().to_numpy(copy=True)
        if len(self.ids):
            at = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
            duplicate |= self.ids[at] == ids
        self.ids = np.sort(np.concatenate([self.ids, ids[~duplicate]]))
        return duplicate


@dataclass
class StagedFile:
    partition: str
    path: Path
    tmp: Path
    writer: pq.ParquetWriter
    rows: int = 0
    chunk_hashes: list[str] = field(default_factory=list)

    def content_sha256(self, fetched_at: str) -> str:
        """The chunks' content hashes combined in file order, and the fetch time that decides
        between two files' copies of a flight: same file, same hash."""
        return sha256_hex("\n".join([*self.chunk_hashes, fetched_at]).encode())


class PartitionFiles:
    """One Parquet file per partition, a row group per chunk, moved into place only once the
    whole input file has been read: a failed import leaves the previous staged files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.open: dict[str, StagedFile] = {}
        self.done: list[StagedFile] = []

    def __enter__(self) -> PartitionFiles:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        for part in self.open.values():
            part.writer.close()
            if exc_type is None:
                os.replace(part.tmp, part.path)
                self.done.append(part)
            else:
                part.tmp.unlink(missing_ok=True)

    def write(self, frame: pd.DataFrame) -> None:
        for partition, piece in frame.groupby("source_partition", sort=True):
            part = self.open.get(str(partition)) or self._start(str(partition), piece)
            part.writer.write_table(
                pa.Table.from_pandas(piece, schema=part.writer.schema, preserve_index=False))
            part.rows += len(piece)
            part.chunk_hashes.append(content_sha256(piece))

    def _start(self, partition: str, piece: pd.DataFrame) -> StagedFile:
        path = self.folder / f"{partition}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        schema = pa.Table.from_pandas(piece, preserve_index=False).schema
        part = StagedFile(partition, path, tmp, pq.ParquetWriter(tmp, schema))
        self.open[partition] = part
        return part


@dataclass
class Issues:
    """Rows with a problem: how many, and the first few as 'file:line: reason'."""

    count: int = 0
    first: list[str] = field(default_factory=list)

    def add(self, file: str, found: pd.DataFrame) -> None:
        self.count += len(found)
        room = max(FIRST_ISSUES - len(self.first), 0)
        self.first += [f"{file}:{line}: {reason}"
                       for line, reason in found.head(room).itertuples(index=False)]

    def summary(self) -> dict[str, Any]:
        return {"count": self.count, "first": self.first}


@dataclass
class Tally:
    fmt: str
    source: str
    files: list[dict[str, Any]] = field(default_factory=list)
    rows_read: int = 0
    bad_rows: Issues = field(default_factory=Issues)
    duplicates: Issues = field(default_factory=Issues)
    warnings: Issues = field(default_factory=Issues)
    by_status: Counter[str] = field(default_factory=Counter)
    unresolved_airports: Counter[str] = field(default_factory=Counter)
    unresolved_carriers: Counter[str] = field(default_factory=Counter)
    rows_without_airport: int = 0
    days: set[date] = field(default_factory=set)
    partitions: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)  # files whose content is already loaded

    def read(self, chunk: Chunk, out: Normalized) -> None:
        self.rows_read += len(chunk.rows)
        self.bad_rows.add(chunk.file, out.bad_rows)
        self.warnings.add(chunk.file, out.warnings)

    def staged(self, frame: pd.DataFrame) -> None:
        self.by_status.update(frame["status"].value_counts().to_dict())
        for code, icao in (("origin_code", "origin_icao"), ("dest_code", "dest_icao")):
            self.unresolved_airports.update(_unresolved(frame, code, icao))
        self.unresolved_carriers.update(_unresolved(frame, "carrier_code", "carrier_icao"))
        self.rows_without_airport += int(
            (frame["origin_code"].isna() | frame["dest_code"].isna()).sum())
        self.days.update(d.date() for d in frame["flight_date"].drop_duplicates())
        self.partitions.update(frame["source_partition"].unique())

    def summary(self) -> dict[str, Any]:
        return {
            "format": self.fmt,
            "source": self.source,
            "files": self.files,
            "rows_read": self.rows_read,
            "rows_staged": sum(self.by_status.values()),
            "rows_by_status": dict(sorted(self.by_status.items())),
            "bad_rows": self.bad_rows.summary(),
            "duplicates": self.duplicates.summary(),
            "warnings": self.warnings.summary(),
            "unresolved_airports": dict(self.unresolved_airports.most_common()),
            "unresolved_carriers": dict(self.unresolved_carriers.most_common()),
            "rows_without_airport": self.rows_without_airport,
            "days_touched": [d.isoformat() for d in sorted(self.days)],
            "partitions": sorted(self.partitions),
            "skipped": self.skipped,
        }


def _unresolved(frame: pd.DataFrame, code: str, icao: str) -> dict[str, int]:
    codes = frame.loc[frame[code].notna() & frame[icao].isna(), code]
    return {str(k): int(v) for k, v in codes.value_counts().items()}
