"""Raw zone: every usable or unusable response body stored once, by content hash, with one
manifest line per fetch. Nothing here is ever rewritten; replay reads it with no network."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

MANIFEST = "manifest.jsonl"


@dataclass(frozen=True)
class RawRecord:
    source: str
    partition: str
    request: str  # which call inside the partition, e.g. "arrival"
    url: str  # without credentials; they travel in headers or bodies, never here
    params: dict[str, Any]
    status: int
    fetched_at: str
    sha256: str
    bytes: int
    file: str
    usable: bool = True
    synthetic: bool = False
    note: str = field(default="")


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class RawZone:
    def __init__(self, root: Path) -> None:
        self.root = root

    def partition_dir(self, source: str, partition: str) -> Path:
        return self.root / source / partition

    def write(
        self,
        *,
        source: str,
        partition: str,
        request: str,
        url: str,
        params: dict[str, Any],
        status: int,
        body: bytes,
        fetched_at: datetime,
        usable: bool = True,
        synthetic: bool = False,
        note: str = "",
    ) -> RawRecord:
        if fetched_at.tzinfo is None:
            raise ValueError("fetched_at must be timezone-aware UTC")
        folder = self.partition_dir(source, partition)
        folder.mkdir(parents=True, exist_ok=True)
        digest = sha256_hex(body)
        body_path = folder / f"{digest}.body"
        if not body_path.exists():
            _write_atomically(body_path, body)
        record = RawRecord(
            source=source,
            partition=partition,
            request=request,
            url=url,
            params=params,
            status=status,
            fetched_at=fetched_at.isoformat(),
            sha256=digest,
            bytes=len(body),
            file=body_path.name,
            usable=usable,
            synthetic=synthetic,
            note=note,
        )
        previous = self.latest(source, partition, usable_only=False).get(request)
        if not _same_response(previous, record):  # a refetch that learned nothing adds no line
            self._append_manifest(folder, record)
        return record

    def records(self, source: str, partition: str) -> list[RawRecord]:
        manifest = self.partition_dir(source, partition) / MANIFEST
        if not manifest.exists():
            return []
        lines = manifest.read_text(encoding="utf-8").splitlines()
        return [RawRecord(**json.loads(line)) for line in lines if line.strip()]

    def latest(
        self, source: str, partition: str, *, usable_only: bool = True
    ) -> dict[str, RawRecord]:
        """The newest record of each request in the partition."""
        newest: dict[str, RawRecord] = {}
        for record in self.records(source, partition):
            if record.usable or not usable_only:
                newest[record.request] = record  # manifest order is fetch order
        return newest

    def read(self, record: RawRecord) -> bytes:
        path = self.partition_dir(record.source, record.partition) / record.file
        body = path.read_bytes()
        if sha256_hex(body) != record.sha256:
            raise ValueError(f"raw file {path} does not match its manifest sha256; it was altered")
        return body

    @staticmethod
    def _append_manifest(folder: Path, record: RawRecord) -> None:
        line = json.dumps(asdict(record), sort_keys=True) + "\n"
        with open(folder / MANIFEST, "a", encoding="utf-8") as manifest:
            manifest.write(line)
            manifest.flush()
            os.fsync(manifest.fileno())


def _same_response(previous: RawRecord | None, record: RawRecord) -> bool:
    if previous is None:
        return False
    keys = ("sha256", "status", "url", "params", "usable", "synthetic")
    return all(getattr(previous, key) == getattr(record, key) for key in keys)


def _write_atomically(path: Path, body: bytes) -> None:
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    with open(tmp, "wb") as handle:
        handle.write(body)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def combined_sha256(records: list[RawRecord]) -> str:
    """One fingerprint for the raw inputs of a partition, independent of fetch order."""
    return sha256_hex("\n".join(sorted(r.sha256 for r in records)).encode())
