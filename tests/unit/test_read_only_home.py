"""A read-only FDP_HOME (or FDP_DUCKDB folder) gives one line naming the path, the reason, what
was left as it was and the fix; never a traceback. Readers still work on a read-only home.

We run as root, for whom no permission bit makes a folder read-only, so each case runs `fdp`
inside a user and mount namespace (`unshare -rm`) where a tmpfs is mounted and then remounted
read-only: a real read-only file system, visible to that process only."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main
from pipeline.config import Settings
from pipeline.demo.runner import write_demo_raw
from pipeline.demo.synthetic import load_scenario

pytestmark = pytest.mark.slow  # see `make test-fast`

FDP = str(Path(sys.executable).with_name("fdp"))
# $1: folder to make read-only, $2: folder whose contents it starts with; then the command
MOUNT_READ_ONLY = """set -e
mount -t tmpfs -o size=64m tmpfs "$1"
cp -a "$2"/. "$1"/
mount -o remount,ro "$1"
shift 2
exec "$@"
"""
FIX = ("Fix: make it writable, or point FDP_HOME (and FDP_DUCKDB, if set) at a folder you can "
       "write\n")


@pytest.fixture(scope="module")
def unshare() -> str:
    """`unshare`, checked able to make the namespaces; a missing piece fails, never skips."""
    path = shutil.which("unshare")
    if path is None:
        pytest.fail("these tests need `unshare` from util-linux (apt-get install util-linux) "
                    "to mount a read-only folder without root")
    probe = subprocess.run([path, "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"],
                           capture_output=True, text=True)
    if probe.returncode:
        pytest.fail(f"`unshare -rm` cannot make a user and mount namespace and mount a tmpfs "
                    f"there ({probe.stderr.strip()}); enable unprivileged user namespaces "
                    "(sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces>0)")
    return path


def read_only_run(unshare: str, folder: Path, contents: Path, *args: str
                  ) -> subprocess.CompletedProcess[str]:
    """`fdp ARGS` with `folder` a read-only file system holding a copy of `contents`."""
    folder.mkdir(parents=True, exist_ok=True)
    contents.mkdir(parents=True, exist_ok=True)
    return subprocess.run([unshare, "-rm", "sh", "-c", MOUNT_READ_ONLY, "sh", str(folder),
                           str(contents), FDP, *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def loaded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An FDP_HOME after `fdp run --date 2025-11-20 --replay` on the demo's raw data."""
    home = tmp_path_factory.mktemp("loaded") / "fdp"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FDP_HOME", str(home))
        settings = Settings.from_env()
        write_demo_raw(settings, load_scenario(), date(2025, 11, 20), date(2025, 11, 20))
        assert main(["run", "--date", "2025-11-20", "--replay"]) == 0
    return home


def loads_and_flights(database: Path) -> tuple:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute("SELECT (SELECT count(*) FROM load_log), "
                           "(SELECT count(*) FROM flights), (SELECT max(loaded_at) FROM flights)"
                           ).fetchone()


def test_run_on_an_empty_read_only_home(unshare, fdp_env, tmp_path):
    done = read_only_run(unshare, fdp_env, tmp_path / "empty",
                         "run", "--date", "2025-11-20", "--replay")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (f"fdp run: error: cannot write {fdp_env}: Read-only file system; "
                           f"nothing was loaded. {FIX}")


def test_writers_stop_and_readers_read_on_a_read_only_home(unshare, loaded_home, tmp_path,
                                                           monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("FDP_HOME", str(home))
    run = read_only_run(unshare, home, loaded_home, "run", "--date", "2025-11-20", "--replay")
    assert (run.returncode, run.stdout) == (1, "")
    assert run.stderr == (f"fdp run: error: cannot write {home}: Read-only file system; "
                          f"nothing was loaded. {FIX}")
    publish = read_only_run(unshare, home, loaded_home, "publish")
    assert publish.returncode == 1
    assert publish.stderr == (f"fdp publish: error: cannot write {home}: Read-only file "
                              f"system; nothing was published. {FIX}")
    sql = read_only_run(unshare, home, loaded_home, "sql", "select count(*) as n from flights",
                        "--format", "csv")
    assert (sql.returncode, sql.stderr) == (0, "")
    assert int(sql.stdout.splitlines()[1]) > 0
    status = read_only_run(unshare, home, loaded_home, "status")
    assert status.returncode == 0 and "newest flight day: 2025-11-20" in status.stdout


def test_read_only_database_folder_is_named(unshare, loaded_home, tmp_path, monkeypatch):
    home, database_folder = tmp_path / "home", tmp_path / "database"
    shutil.copytree(loaded_home, home)
    monkeypatch.setenv("FDP_HOME", str(home))
    monkeypatch.setenv("FDP_DUCKDB", str(database_folder / "fdp.duckdb"))
    done = read_only_run(unshare, database_folder, home, "run", "--date", "2025-11-20",
                         "--replay")
    assert done.returncode == 1
    assert done.stderr == (f"fdp run: error: cannot write {database_folder}: Read-only file "
                           f"system; nothing was loaded. {FIX}")


@pytest.mark.parametrize("staged_before", [False, True])
def test_read_only_folder_met_half_way_names_it_and_loads_nothing(
        unshare, loaded_home, tmp_path, monkeypatch, staged_before):
    """Only staging is read-only: the check before the run passes, normalizing fails, either
    making a folder (Python's error) or writing a Parquet file (pyarrow's, worded its way)."""
    home = tmp_path / "home"
    shutil.copytree(loaded_home, home)
    monkeypatch.setenv("FDP_HOME", str(home))
    before = loads_and_flights(home / "fdp.duckdb")
    staging = loaded_home / "staging" if staged_before else tmp_path / "empty"
    done = read_only_run(unshare, home / "staging", staging,
                         "run", "--date", "2025-11-20", "--replay")
    assert (done.returncode, done.stdout) == (1, "")
    [line] = done.stderr.splitlines()
    if staged_before:
        assert line.startswith(f"fdp run: error: Failed to open local file '{home}/staging/")
    else:
        assert line.startswith(f"fdp run: error: cannot write {home}/staging/")
    assert line.endswith(f"Read-only file system; nothing was loaded. {FIX.strip()}")
    assert loads_and_flights(home / "fdp.duckdb") == before


# $1: folder to mount a tmpfs on, $2: folder whose contents it starts with, $3: bytes free
# beyond them; then the command
MOUNT_NEARLY_FULL = """set -e
used=$(du -sb "$2" | cut -f1)
mount -t tmpfs -o size=$((used + $3)) tmpfs "$1"
cp -a "$2"/. "$1"/
shift 3
exec "$@"
"""


def test_a_full_disk_at_publish_says_what_was_committed_and_fdp_publish_recovers(
        unshare, loaded_home, tmp_path, monkeypatch):
    """The night loads into fdp.duckdb, then the published copy does not fit: one line says
    the load is kept, readers still see the night before, and `fdp publish` (the fix) works
    once there is room."""
    home = tmp_path / "home"
    shutil.copytree(loaded_home, home)
    monkeypatch.setenv("FDP_HOME", str(home))
    write_demo_raw(Settings.from_env(), load_scenario(), date(2025, 11, 21), date(2025, 11, 21))
    published = home / "published"
    shutil.copytree(published, tmp_path / "published-before")  # what the tmpfs starts with
    done = subprocess.run(
        [unshare, "-rm", "sh", "-c", MOUNT_NEARLY_FULL, "sh", str(published),
         str(tmp_path / "published-before"),
         str(256 * 1024), FDP, "run", "--date", "2025-11-21", "--replay"],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    line = done.stderr.splitlines()[-1]  # after the demo's "no OpenFlights copy" warning
    assert line.startswith(f"fdp run: error: publishing failed: cannot write {published}/")
    assert (f"(No space left on device). {home / 'fdp.duckdb'} keeps everything loaded so far; "
            "readers still see the previous published copy. Fix: free space in (or make "
            f"writable) {published}, then run `fdp publish`") in line
    day = "SELECT count(*) FROM flights WHERE flight_date = DATE '2025-11-21'"
    with duckdb.connect(str(home / "fdp.duckdb"), read_only=True) as con:
        assert con.execute(day).fetchone()[0] > 0  # committed
    with duckdb.connect(str(published / "fdp.duckdb"), read_only=True) as con:
        assert con.execute(day).fetchone()[0] == 0  # the night before, whole
    assert main(["publish"]) == 0  # the fix, followed, with room again
    with duckdb.connect(str(published / "fdp.duckdb"), read_only=True) as con:
        assert con.execute(day).fetchone()[0] > 0
