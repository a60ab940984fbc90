"""Reading flight-list files: a plain CSV, a .gz, or a .zip holding one CSV, streamed as text in
chunks of rows so that a month of BTS data (~600k rows, 110 columns) never sits in memory at once.
Only the columns a format uses are parsed (usecols), every value as a string."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TextIO

import numpy as np
import pandas as pd

from pipeline.errors import PipelineError
from pipeline.schemas import STRING

CHUNK_ROWS = 50_000
HEADER_SEARCH_LINES = 20  # files may start with notes ("Importante: Horários em UTC")
SNIFF_BYTES = 64 * 1024
UTF8_BOM = codecs.BOM_UTF8
_KNOWN_SUFFIXES = (".gz", ".zip", ".csv")


class FlightListError(PipelineError):
    """A file that cannot be imported at all (as opposed to a bad row, which is skipped)."""


@dataclass(frozen=True)
class Layout:
    """How a format's files are written."""

    sep: str
    columns: Mapping[str, str]  # published column name (or alias) -> our name
    required: frozenset[str]  # our names that the header must provide


@dataclass(frozen=True)
class Chunk:
    """Rows of one file: the used columns under our names, stripped strings ("" = empty)."""

    rows: pd.DataFrame
    lines: np.ndarray  # the line of each row in the text file, 1 = the first line
    file: str
    clock_tz: str | None = None  # zone of the file's clock times; None: each airport's own


@dataclass(frozen=True)
class Normalized:
    """A chunk as `flights` rows (plus `line` and `dep_key`), and what was wrong with it."""

    frame: pd.DataFrame
    bad_rows: pd.DataFrame  # line, reason: skipped rows
    warnings: pd.DataFrame  # line, reason: rows kept with a value dropped


def header_key(name: str) -> str:
    """Column names compared without case, accents or punctuation: 'Situação Voo' and
    'Situacao Voo' (ANAC spells both) are one column."""
    text = unicodedata.normalize("NFKD", name.strip().lstrip("\ufeff"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")


def file_key(path: Path) -> str:
    """The readable part of the name a file's rows are kept under: the file's name without
    .csv/.gz/.zip, and for a zip the name of the CSV inside it (BTS zips are named otherwise)."""
    name = _zip_member(path) if path.suffix.lower() == ".zip" else path.name
    name = Path(name).name
    while (suffix := Path(name).suffix.lower()) in _KNOWN_SUFFIXES:
        name = name[: -len(suffix)]
    return name


def _zip_member(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return _only_csv(archive, path)


def _only_csv(archive: zipfile.ZipFile, path: Path) -> str:
    # BTS zips hold the CSV and a readme.html
    members = [n for n in archive.namelist() if n.lower().endswith(".csv")]
    if len(members) != 1:
        raise FlightListError(f"{path}: expected one CSV file inside the zip, found "
                              f"{members or archive.namelist()}")
    return members[0]


@contextmanager
def open_binary(path: Path) -> Iterator[IO[bytes]]:
    suffix = path.suffix.lower()
    if suffix == ".gz":
        with gzip.open(path, "rb") as stream:
            yield stream
    elif suffix == ".zip":
        with zipfile.ZipFile(path) as archive, archive.open(_only_csv(archive, path)) as stream:
            yield stream
    else:
        with open(path, "rb") as stream:
            yield stream


def sniff_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the file's start decodes as UTF-8, else latin-1: ANAC has
    published both, and the header alone ('Aérea', 'Situação') tells them apart."""
    with open_binary(path) as stream:
        head = stream.read(SNIFF_BYTES)
    if head.startswith(UTF8_BOM):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


class CsvFile:
    """An open flight-list file positioned after its header line."""

    def __init__(self, text: TextIO, path: Path, layout: Layout) -> None:
        self.text, self.path, self.layout = text, path, layout
        self.preamble: list[str] = []
        self.header_line = 0
        self.positions: dict[int, str] = {}
        self._find_header()

    def _find_header(self) -> None:
        first: list[str] = []
        for number in range(1, HEADER_SEARCH_LINES + 1):
            line = self.text.readline()
            if not line:
                break
            fields = next(csv.reader([line], delimiter=self.layout.sep), [])
            positions = match_columns(fields, self.layout.columns)
            if self.layout.required <= set(positions.values()):
                self.positions, self.header_line = positions, number
                return
            first = first or fields
            self.preamble.append(line.strip())
        wanted = sorted(_published(self.layout))
        raise FlightListError(
            f"{self.path}: no header line with the columns {wanted} in its first "
            f"{HEADER_SEARCH_LINES} lines (the first line has {first[:12]}...); is it the "
            "right --format?")

    def chunks(self, chunk_rows: int, clock_tz: str | None = None) -> Iterator[Chunk]:
        try:
            reader = pd.read_csv(
                self.text, sep=self.layout.sep, header=None, usecols=list(self.positions),
                dtype=str, keep_default_na=False,
                skip_blank_lines=False,  # keeps row n on line header_line + n
                chunksize=chunk_rows)
        except pd.errors.EmptyDataError:
            return  # a header and no rows
        for frame in reader:
            rows = frame.rename(columns=self.positions).astype(STRING)
            rows = rows.apply(lambda column: column.str.strip())
            lines = frame.index.to_numpy(dtype=np.int64) + self.header_line + 1
            yield Chunk(rows.reset_index(drop=True), lines, self.path.name, clock_tz)


def _published(layout: Layout) -> set[str]:
    return {name for name, ours in layout.columns.items() if ours in layout.required}


def match_columns(fields: list[str], columns: Mapping[str, str]) -> dict[int, str]:
    """Position -> our name, for the header fields that are columns we use."""
    by_key = {header_key(name): ours for name, ours in columns.items()}
    found: dict[int, str] = {}
    for position, field in enumerate(fields):
        ours = by_key.get(header_key(field))
        if ours and ours not in found.values():
            found[position] = ours
    return found


@contextmanager
def open_csv(path: Path, layout: Layout, encoding: str) -> Iterator[CsvFile]:
    """The file as text; `errors="replace"` so one bad byte spoils a value, not the import."""
    with open_binary(path) as raw, io.TextIOWrapper(
            raw, encoding=encoding, errors="replace", newline="") as text:
        yield CsvFile(text, path, layout)


class RowProblems:
    """The first problem found in each row of a chunk; a row with one is skipped."""

    def __init__(self, index: pd.Index) -> None:
        self.reason = pd.Series(pd.NA, index=index, dtype=STRING)

    def flag(self, mask: pd.Series, what: str, values: pd.Series | None = None) -> None:
        mask = mask.fillna(False).astype(bool) & self.reason.isna()
        reason = what if values is None else what + " '" + values.fillna("") + "'"
        self.reason = self.reason.mask(mask, reason)

    @property
    def bad(self) -> pd.Series:
        return self.reason.notna()

    def report(self, chunk: Chunk) -> pd.DataFrame:
        return issues(chunk.lines[self.bad.to_numpy()], self.reason[self.bad])


def issues(lines: np.ndarray, reasons: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"line": np.asarray(lines, dtype=np.int64),
                         "reason": reasons.astype(STRING).to_numpy()})


def flagged(chunk: Chunk, mask: pd.Series, reason: str) -> pd.DataFrame:
    """The rows of `mask`, all for one reason."""
    lines = chunk.lines[mask.to_numpy(dtype=bool)]
    return issues(lines, pd.Series([reason] * len(lines), dtype=STRING))
