"""The embedded Airflow's home ($FDP_HOME/airflow) can move with its data folder: the absolute
paths Airflow wrote into airflow.cfg when it created the home do not pull it back."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from pipeline.config import REPO_ROOT

# What `fdp demo` and `make airflow` do first (airflow_env, then prepare_airflow's `airflow`
# commands), then a write through Airflow in this process, as the demo's dag.test() runs do.
USE_AIRFLOW = """
import sys
from pathlib import Path
from pipeline.airflow_runner import airflow_env, prepare_airflow
from pipeline.config import Settings

home = Path(airflow_env(Settings.from_env())["AIRFLOW_HOME"])
prepare_airflow(home / "setup.log")
from airflow.models.pool import Pool  # Airflow reads its configuration on this import

Pool.create_or_update_pool("fdp_home", 1, description=sys.argv[1], include_deferred=False)
"""


def use_airflow(fdp_home: Path) -> None:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("AIRFLOW")}  # the test session's own Airflow settings
    env["FDP_HOME"] = str(fdp_home)
    done = subprocess.run([sys.executable, "-c", USE_AIRFLOW, str(fdp_home)], env=env,
                          cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


def pool_description(metadata_db: Path, pool: str) -> str | None:
    with sqlite3.connect(metadata_db) as db:
        row = db.execute("SELECT description FROM slot_pool WHERE pool = ?", (pool,)).fetchone()
    return row and row[0]


def test_a_moved_data_folder_uses_the_metadata_database_it_carries(tmp_path):
    first, moved = tmp_path / "first" / "data", tmp_path / "moved" / "data"
    use_airflow(first)
    assert str(first) in (first / "airflow" / "airflow.cfg").read_text()  # Airflow wrote it
    moved.parent.mkdir()
    shutil.move(first, moved)

    use_airflow(moved)

    assert pool_description(moved / "airflow" / "airflow.db", "fdp_home") == str(moved)
    assert not first.exists(), "Airflow wrote to the folder's old place"
