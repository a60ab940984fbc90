"""Snapshot sources never get stuck: a bad registry edit does not block nights (the newest good
copy is carried forward and the night says why); a fixed or edited file is picked up by
`--replay` too, never silently ignored; the error's fix advice works when followed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline import nightly, store
from pipeline.config import DEFAULT_REGISTRY, Settings
from pipeline.errors import SourceError

DAY = date(2025, 11, 27)
BAD_ROW = ("bad-end-date,INAC,VE,suspended,IBE,IB,Iberia,VE,,2025-11-26,2025-11-01,,"
           "https://example.org/act,title,[verified] end date before the start\n")
NEW_ROW = ("inac-2025-11-27-xyz-suspended,INAC,VE,suspended,AVA,AV,Avianca,VE,,2025-11-27,,"
           "2025-11-27,https://example.org/new-act,title,[verified] an edit\n")


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "permit_actions.csv"
    path.write_bytes(DEFAULT_REGISTRY.read_bytes())
    monkeypatch.setenv("FDP_HOME", str(tmp_path / "fdp"))
    monkeypatch.setenv("FDP_REGISTRY", str(path))
    return path


def night(*, replay: bool) -> list[dict]:
    return nightly.run_night(DAY, Settings.from_env(), replay=replay,
                             sources=("permit_registry",))


def action_ids() -> set[str]:
    with store.connect_published(Settings.from_env()) as con:
        return {a for (a,) in con.execute("SELECT action_id FROM permit_actions").fetchall()}


def test_a_bad_edit_keeps_the_last_good_registry_and_says_so(registry: Path):
    night(replay=False)
    good = action_ids()
    registry.write_text(registry.read_text(encoding="utf-8") + BAD_ROW, encoding="utf-8")
    [result] = night(replay=False)  # the night goes on
    assert action_ids() == good
    assert "line 81, column end_date: 2025-11-01 is before effective_date" in result["message"]
    assert "Fix: correct those rows" in result["message"]
    [result] = night(replay=True)  # a replay reads the file again, and says the same
    assert "line 81, column end_date" in result["message"]
    with store.connect_published(Settings.from_env()) as con:
        [(message,)] = con.execute(
            "SELECT message FROM load_log ORDER BY started_at DESC LIMIT 1").fetchall()
    assert "line 81" in message


def test_a_fixed_file_is_picked_up_by_a_replay(registry: Path):
    night(replay=False)
    original = registry.read_text(encoding="utf-8")
    registry.write_text(original + BAD_ROW, encoding="utf-8")
    night(replay=False)
    registry.write_text(original + NEW_ROW, encoding="utf-8")  # fixed, and one act added
    [result] = night(replay=True)
    assert result["status"] == "loaded" and not result["message"]
    assert "inac-2025-11-27-xyz-suspended" in action_ids()


def test_an_edit_under_replay_is_used(registry: Path):
    night(replay=False)
    registry.write_text(registry.read_text(encoding="utf-8") + NEW_ROW, encoding="utf-8")
    night(replay=True)
    assert "inac-2025-11-27-xyz-suspended" in action_ids()


def test_with_no_good_copy_yet_the_error_lists_the_problems_and_its_fix_works(
        registry: Path):
    original = registry.read_text(encoding="utf-8")
    registry.write_text(original + BAD_ROW, encoding="utf-8")
    with pytest.raises(SourceError) as error:
        night(replay=False)
    assert "line 81, column end_date" in str(error.value)
    assert "`fdp run --replay` reads the registry file again" in str(error.value)
    registry.write_text(original, encoding="utf-8")  # follow the advice
    [result] = night(replay=True)
    assert result["status"] == "loaded"
