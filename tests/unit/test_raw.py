"""Raw zone: immutable bodies, a manifest line per response, only complete fetches replayed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipeline.raw import RawZone

NOW = datetime(2025, 11, 21, 0, 5, tzinfo=UTC)
PARTITION = "2025-11-20/SVMI"


def fetch(raw: RawZone, *bodies: bytes, status: int = 200, fail_after: int | None = None):
    """One fetch of the partition with a response per body; optionally dies after some."""
    with raw.fetch("opensky", PARTITION) as batch:
        for n, body in enumerate(bodies):
            if n == fail_after:
                raise RuntimeError("connection reset")
            batch.add(request=f"page-{n + 1}", url="https://opensky-network.org/api/x",
                      params={"airport": "SVMI"}, status=status, body=body, fetched_at=NOW)
    return batch


def manifest_lines(raw: RawZone) -> list[dict]:
    path = raw.partition_dir("opensky", PARTITION) / "manifest.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_bodies_are_stored_by_hash_and_closed_by_a_complete_line(tmp_path):
    raw = RawZone(tmp_path)
    fetch(raw, b"[]", b"[1]")
    lines = manifest_lines(raw)
    assert [line["request"] for line in lines] == ["page-1", "page-2", "complete"]
    assert lines[0]["fetched_at"] == "2025-11-21T00:05:00+00:00"
    assert lines[0]["synthetic"] is False
    assert [raw.read(r) for r in raw.latest("opensky", PARTITION)] == [b"[]", b"[1]"]


def test_refetch_with_same_bodies_adds_nothing_and_new_bodies_add_a_fetch(tmp_path):
    raw = RawZone(tmp_path)
    fetch(raw, b"[]")
    fetch(raw, b"[]")
    assert len(manifest_lines(raw)) == 2
    fetch(raw, b"[2]")
    assert len(manifest_lines(raw)) == 4
    assert [raw.read(r) for r in raw.latest("opensky", PARTITION)] == [b"[2]"]


def test_fewer_pages_on_refetch_do_not_mix_with_the_old_fetch(tmp_path):
    raw = RawZone(tmp_path)
    fetch(raw, b"[1]", b"[2]", b"[3]")
    fetch(raw, b"[9]")
    assert [raw.read(r) for r in raw.latest("opensky", PARTITION)] == [b"[9]"]


def test_a_fetch_that_died_is_kept_for_inspection_but_never_replayed(tmp_path):
    raw = RawZone(tmp_path)
    fetch(raw, b"[1]")
    with pytest.raises(RuntimeError):
        fetch(raw, b"[5]", b"[6]", fail_after=1)
    assert [line["request"] for line in manifest_lines(raw)][-1] == "page-1"  # no complete
    assert [raw.read(r) for r in raw.latest("opensky", PARTITION)] == [b"[1]"]


def test_a_line_cut_short_by_a_kill_is_ignored(tmp_path):
    raw = RawZone(tmp_path)
    fetch(raw, b"[1]")
    with open(raw.partition_dir("opensky", PARTITION) / "manifest.jsonl", "a") as manifest:
        manifest.write('{"source": "opensky", "partit')
    assert [raw.read(r) for r in raw.latest("opensky", PARTITION)] == [b"[1]"]


def test_old_bodies_are_never_rewritten(tmp_path):
    raw = RawZone(tmp_path)
    first = fetch(raw, b"[1]").records[0]
    fetch(raw, b"[2]")
    assert raw.read(first) == b"[1]"


def test_empty_404_day_is_recorded(tmp_path):
    raw = RawZone(tmp_path)
    fetch(raw, b"", status=404)
    [record] = raw.latest("opensky", PARTITION)
    assert (record.status, record.bytes) == (404, 0)


def test_altered_body_is_detected(tmp_path):
    raw = RawZone(tmp_path)
    record = fetch(raw, b"[]").records[0]
    (raw.partition_dir("opensky", PARTITION) / record.file).write_bytes(b"[1]")
    with pytest.raises(ValueError, match="does not match its manifest"):
        raw.read(record)


def test_naive_timestamps_are_refused(tmp_path):
    with pytest.raises(ValueError, match="timezone-aware"), RawZone(tmp_path).fetch("s", "p") as b:
        b.add(request="r", url="u", params={}, status=200, body=b"",
              fetched_at=datetime(2025, 1, 1))  # noqa: DTZ001
