"""Raw zone: every response body stored once, by content hash, and one manifest line per
response. A fetch of a partition (one or more responses, e.g. pages) ends with a `complete`
line; replay reads only the newest complete fetch. Nothing here is ever rewritten."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline import failpoints

MANIFEST = "manifest.jsonl"
COMPLETE = "complete"  # the request name of the line that closes a successful fetch


@dataclass(frozen=True)
class RawRecord:
    source: str
    partition: str
    fetch_id: str  # one per fetch of the partition; pages of one fetch share it
    request: str  # which call inside the fetch, e.g. "arrival" or "page-2"
    url: str  # without credentials; they travel in headers or bodies, never here
    params: dict[str, Any]
    status: int
    fetched_at: str
    sha256: str
    bytes: int
    file: str
    usable: bool = True
    synthetic: bool = False
    note: str = ""


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class FetchBatch:
    """The responses of one fetch, written to disk as they arrive and to the manifest at the end."""

    def __init__(self, zone: RawZone, source: str, partition: str, synthetic: bool) -> None:
        self.zone, self.source, self.partition, self.synthetic = zone, source, partition, synthetic
        self.fetch_id = uuid.uuid4().hex
        self.records: list[RawRecord] = []

    def add(
        self,
        *,
        request: str,
        url: str,
        params: dict[str, Any],
        status: int,
        body: bytes,
        fetched_at: datetime,
        usable: bool = True,
        note: str = "",
    ) -> RawRecord:
        if fetched_at.tzinfo is None:
            raise ValueError("fetched_at must be timezone-aware UTC")
        folder = self.zone.partition_dir(self.source, self.partition)
        folder.mkdir(parents=True, exist_ok=True)
        digest = sha256_hex(body)
        body_path = folder / f"{digest}.body"
        if not body_path.exists():
            _write_atomically(body_path, body)
        record = RawRecord(
            source=self.source, partition=self.partition, fetch_id=self.fetch_id,
            request=request, url=url, params=params, status=status,
            fetched_at=fetched_at.isoformat(), sha256=digest, bytes=len(body),
            file=body_path.name, usable=usable, synthetic=self.synthetic, note=note,
        )
        self.records.append(record)
        return record


class RawZone:
    def __init__(self, root: Path) -> None:
        self.root = root

    def partition_dir(self, source: str, partition: str) -> Path:
        return self.root / source / partition

    @contextmanager
    def fetch(self, source: str, partition: str, *, synthetic: bool = False
              ) -> Iterator[FetchBatch]:
        """Collect one fetch. On success it is closed with a `complete` line, unless it brought
        exactly what the newest complete fetch holds (then nothing is added). On failure its
        lines are still written, for inspection, but never replayed."""
        batch = FetchBatch(self, source, partition, synthetic)
        try:
            yield batch
            failpoints.hit("fetch")  # bodies on disk, manifest not yet written
        except BaseException:
            self._append(source, partition, batch.records)
            raise
        if _fingerprint(batch.records) == _fingerprint(self.latest(source, partition)):
            return
        marker = RawRecord(
            source=source, partition=partition, fetch_id=batch.fetch_id, request=COMPLETE,
            url="", params={}, status=0,
            fetched_at=batch.records[-1].fetched_at if batch.records else "", sha256="",
            bytes=0, file="", synthetic=synthetic, note=f"{len(batch.records)} responses",
        )
        self._append(source, partition, [*batch.records, marker])

    def records(self, source: str, partition: str) -> list[RawRecord]:
        manifest = self.partition_dir(source, partition) / MANIFEST
        if not manifest.exists():
            return []
        records = []
        for line in manifest.read_text(encoding="utf-8").splitlines():
            try:
                records.append(RawRecord(**json.loads(line)))
            except (ValueError, TypeError):
                continue  # a line cut short by a killed process; its fetch has no `complete`
        return records

    def latest(self, source: str, partition: str) -> list[RawRecord]:
        """The responses of the newest complete fetch of the partition ([] if none)."""
        records = self.records(source, partition)
        complete = [r.fetch_id for r in records if r.request == COMPLETE]
        if not complete:
            return []
        return [r for r in records if r.fetch_id == complete[-1] and r.request != COMPLETE]

    def read(self, record: RawRecord) -> bytes:
        path = self.partition_dir(record.source, record.partition) / record.file
        body = path.read_bytes()
        if sha256_hex(body) != record.sha256:
            raise ValueError(f"raw file {path} does not match its manifest sha256; it was altered")
        return body

    def _append(self, source: str, partition: str, records: list[RawRecord]) -> None:
        if not records:
            return
        folder = self.partition_dir(source, partition)
        folder.mkdir(parents=True, exist_ok=True)
        text = "".join(json.dumps(asdict(r), sort_keys=True) + "\n" for r in records)
        with open(folder / MANIFEST, "a", encoding="utf-8") as manifest:
            manifest.write(text)  # one write: a fetch's lines land together
            manifest.flush()
            os.fsync(manifest.fileno())


def _fingerprint(records: list[RawRecord]) -> list[tuple]:
    return [(r.request, r.url, json.dumps(r.params, sort_keys=True), r.status, r.sha256,
             r.usable, r.synthetic) for r in records]


def _write_atomically(path: Path, body: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as handle:
        handle.write(body)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def combined_sha256(records: list[RawRecord]) -> str:
    """One fingerprint for the raw inputs of a partition, independent of fetch order."""
    return sha256_hex("\n".join(sorted(r.sha256 for r in records)).encode())


def newest_fetch(records: list[RawRecord]) -> str | None:
    """When the newest usable response among `records` was fetched; None if none is usable."""
    times = [r.fetched_at for r in records if r.usable and r.fetched_at]
    if not times:
        return None
    return utc_text(max(times, key=datetime.fromisoformat))


def utc_text(stamp: str) -> str:
    """A manifest's aware fetch time as the naive UTC ISO text the flights table stores."""
    return datetime.fromisoformat(stamp).astimezone(UTC).replace(tzinfo=None).isoformat()
