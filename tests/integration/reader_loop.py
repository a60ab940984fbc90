"""A reader that queries the published database in a loop, as a user's notebook or BI tool
would during a nightly run. One JSON line per answer (or per error) until STOP exists.

usage: python reader_loop.py PUBLISHED_DUCKDB OUT_JSONL STOP_FILE"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

# Each answer fingerprints several tables in one connection: a torn or mixed database would
# give a combination that no published night has.
FINGERPRINT = """
SELECT
  (SELECT md5(coalesce(string_agg(CAST(t AS VARCHAR), '|' ORDER BY flight_id), ''))
     FROM flights t),
  (SELECT count(*) FROM flights),
  (SELECT md5(coalesce(string_agg(CAST(t AS VARCHAR), '|' ORDER BY CAST(t AS VARCHAR)), ''))
     FROM route_daily t),
  (SELECT md5(coalesce(string_agg(CAST(t AS VARCHAR), '|' ORDER BY CAST(t AS VARCHAR)), ''))
     FROM airport_traffic_daily t),
  (SELECT md5(coalesce(string_agg(CAST(t AS VARCHAR), '|' ORDER BY CAST(t AS VARCHAR)), ''))
     FROM carrier_status t),
  (SELECT count(*) FROM load_log)
"""


def answer(database: str) -> list:
    with duckdb.connect(database, read_only=True) as con:
        return [str(value) for value in con.execute(FINGERPRINT).fetchall()[0]]


def main(database: str, out: str, stop: str) -> None:
    with open(out, "a", encoding="utf-8") as lines:
        while not Path(stop).exists():
            began = time.time()
            try:
                record = {"began": began, "answer": answer(database)}
            except Exception as exc:  # a lock error or a torn file is what we look for
                record = {"began": began, "error": f"{type(exc).__name__}: {exc}"}
            record["ended"] = time.time()
            lines.write(json.dumps(record) + "\n")
            lines.flush()


if __name__ == "__main__":
    main(*sys.argv[1:4])
