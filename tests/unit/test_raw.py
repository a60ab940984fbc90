"""Raw zone: immutable bodies, one manifest line per fetch, tamper detection."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipeline.raw import RawZone

NOW = datetime(2025, 11, 21, 0, 5, tzinfo=UTC)


def write(raw: RawZone, body: bytes, request: str = "arrival", status: int = 200, **extra):
    return raw.write(source="opensky", partition="2025-11-20/SVMI", request=request,
                     url="https://opensky-network.org/api/flights/arrival",
                     params={"airport": "SVMI"}, status=status, body=body, fetched_at=NOW,
                     **extra)


def manifest_lines(raw: RawZone) -> list[dict]:
    path = raw.partition_dir("opensky", "2025-11-20/SVMI") / "manifest.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_body_is_stored_by_hash_with_a_manifest_line(tmp_path):
    raw = RawZone(tmp_path)
    record = write(raw, b"[]")
    assert raw.read(record) == b"[]"
    [line] = manifest_lines(raw)
    assert line["sha256"] == record.sha256 and line["status"] == 200
    assert line["fetched_at"] == "2025-11-21T00:05:00+00:00"
    assert line["synthetic"] is False


def test_refetch_with_same_body_adds_nothing_and_new_body_adds_a_line(tmp_path):
    raw = RawZone(tmp_path)
    write(raw, b"[]")
    write(raw, b"[]")
    assert len(manifest_lines(raw)) == 1
    newer = write(raw, b'[{"icao24": "abc123"}]')
    assert len(manifest_lines(raw)) == 2
    assert raw.latest("opensky", "2025-11-20/SVMI")["arrival"] == newer


def test_old_bodies_are_never_rewritten(tmp_path):
    raw = RawZone(tmp_path)
    first = write(raw, b"[1]")
    write(raw, b"[2]")
    assert raw.read(first) == b"[1]"


def test_empty_404_day_is_recorded(tmp_path):
    raw = RawZone(tmp_path)
    record = write(raw, b"", status=404)
    assert record.bytes == 0 and raw.latest("opensky", "2025-11-20/SVMI")["arrival"].status == 404


def test_unusable_responses_are_kept_but_not_replayed(tmp_path):
    raw = RawZone(tmp_path)
    good = write(raw, b"[]")
    write(raw, b"<html>oops", usable=False, note="not JSON")
    assert raw.latest("opensky", "2025-11-20/SVMI")["arrival"] == good
    assert raw.latest("opensky", "2025-11-20/SVMI", usable_only=False)["arrival"].usable is False


def test_altered_body_is_detected(tmp_path):
    raw = RawZone(tmp_path)
    record = write(raw, b"[]")
    (raw.partition_dir("opensky", "2025-11-20/SVMI") / record.file).write_bytes(b"[1]")
    with pytest.raises(ValueError, match="does not match its manifest"):
        raw.read(record)


def test_naive_timestamps_are_refused(tmp_path):
    with pytest.raises(ValueError, match="timezone-aware"):
        RawZone(tmp_path).write(source="s", partition="p", request="r", url="u", params={},
                                status=200, body=b"", fetched_at=datetime(2025, 1, 1))  # noqa: DTZ001
