"""Ad hoc SQL (`fdp sql`, `fdp status`, the example queries in docs/queries.md): run a query so
that a time limit or Ctrl-C stops it at once, and print its rows the same way everywhere. NULL
is NULL whatever the column's type; dates and times are ISO 8601; numbers stay numbers."""

from __future__ import annotations

import csv
import io
import json
import math
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any

import duckdb

# The waiting thread looks up this often, so Ctrl-C and the time limit are felt within it.
POLL_S = 0.05
# A stopped query ends within milliseconds; past this the process exits without it.
STOP_WAIT_S = 5.0
NULL = "NULL"


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


class QueryTimeout(Exception):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"the query ran for {seconds:g} s, its time limit, and was stopped")


def fetch(con: duckdb.DuckDBPyConnection, query: str) -> QueryResult:
    """Every row of `query`'s result as Python values, with the column names."""
    con.execute(query)
    if con.description is None:  # a statement that returns no result set
        return QueryResult([], [])
    return QueryResult([column[0] for column in con.description], con.fetchall())


def fetch_with_limit(
    con: duckdb.DuckDBPyConnection, query: str, timeout_s: float = math.inf
) -> QueryResult:
    """`fetch`, run in a worker thread while this (the main) thread waits in short slices, so
    it can watch the time limit and catch Ctrl-C (Python raises KeyboardInterrupt in the main
    thread only). Either one interrupts the query and waits for it to end, so the connection
    closes cleanly; then QueryTimeout or KeyboardInterrupt is raised."""
    outcome: dict[str, Any] = {}
    # An Event, not Thread.join: a join that KeyboardInterrupt breaks into marks the thread
    # finished although it still runs (CPython before 3.13), and the connection stays busy.
    finished = threading.Event()

    def work() -> None:
        try:
            outcome["result"] = fetch(con, query)
        except BaseException as exc:  # handed to the main thread, which raises it
            outcome["error"] = exc
        finally:
            finished.set()

    deadline = time.monotonic() + timeout_s
    threading.Thread(target=work, name="fdp-sql-query", daemon=True).start()
    try:
        while not finished.wait(POLL_S):
            if time.monotonic() >= deadline:
                _interrupt(con, finished)
                raise QueryTimeout(timeout_s)
    except KeyboardInterrupt:
        _interrupt(con, finished)
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _interrupt(con: duckdb.DuckDBPyConnection, finished: threading.Event) -> None:
    # Repeated: an interrupt that lands before DuckDB has started the query is forgotten.
    give_up = time.monotonic() + STOP_WAIT_S
    while not finished.is_set() and time.monotonic() < give_up:
        con.interrupt()
        finished.wait(POLL_S)


def render(result: QueryResult, output_format: str) -> str:
    renderers = {"table": render_table, "csv": render_csv, "json": render_json}
    return renderers[output_format](result)


def render_table(result: QueryResult, *, max_width: int | None = None) -> str:
    """Aligned columns for people: numbers right, the rest left; NULL for every NULL.
    Cells longer than `max_width` are cut and end in '...'."""
    if not result.columns:
        return "(no rows)"
    cells = [[_cut(_table_text(value), max_width) for value in row] for row in result.rows]
    headers = [_cut(name, max_width) for name in result.columns]
    widths = [max([len(header), *(len(row[i]) for row in cells)])
              for i, header in enumerate(headers)]
    numeric = [_is_numeric_column(result.rows, i) for i in range(len(headers))]

    def line(texts: list[str]) -> str:
        return "  ".join(text.rjust(width) if right else text.ljust(width)
                         for text, width, right in zip(texts, widths, numeric, strict=True)
                         ).rstrip()

    lines = [line(headers), line(["-" * width for width in widths])]
    lines += [line(row) for row in cells] or ["(no rows)"]
    return "\n".join(lines)


def render_csv(result: QueryResult) -> str:
    """RFC 4180 CSV with a header; NULL is an empty field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([["" if value is None else _text(value) for value in row]
                      for row in result.rows])
    return out.getvalue().removesuffix("\n")


def render_json(result: QueryResult) -> str:
    """One JSON array of objects, one object a line: NULL is null, a DATE "YYYY-MM-DD", a
    TIMESTAMP "YYYY-MM-DDTHH:MM:SS", numbers are numbers (DECIMAL and HUGEINT exact)."""
    objects = ["{" + ", ".join(f"{json.dumps(name, ensure_ascii=False)}: {_json(value)}"
                               for name, value in zip(result.columns, row, strict=True)) + "}"
               for row in result.rows]
    return "[" + ",\n ".join(objects) + "]"


def _text(value: Any) -> str:
    """A non-NULL value as text, as DuckDB writes it (NULL inside a list or struct is NULL)."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time_of_day):
        return value.isoformat()
    if isinstance(value, bytes):
        return _blob_text(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_text(item)}" for key, item in value.items()) + "}"
    return str(value)


def _table_text(value: Any) -> str:
    # Line breaks and tabs inside a cell would break the columns: shown escaped.
    return _text(value).replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def _blob_text(value: bytes) -> str:
    return "".join(chr(byte) if 32 <= byte < 127 and byte != 92 else f"\\x{byte:02X}"
                   for byte in value)


def _json(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # JSON has no NaN or infinity: null, as JavaScript's JSON.stringify writes them.
        return str(value) if math.isfinite(value) else "null"
    if isinstance(value, Decimal):
        return str(value)  # exact, with the column's scale: 1.50
    if isinstance(value, datetime | date | time_of_day):
        return f'"{value.isoformat()}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_json(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(key), ensure_ascii=False)}: {_json(item)}"
                               for key, item in value.items()) + "}"
    return json.dumps(_text(value), ensure_ascii=False)


def _is_numeric_column(rows: list[tuple[Any, ...]], index: int) -> bool:
    values = [row[index] for row in rows if row[index] is not None]
    return bool(values) and all(
        isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in values)


def _cut(text: str, max_width: int | None) -> str:
    if max_width is None or len(text) <= max_width:
        return text
    return text[: max_width - 3] + "..."
