"""Settings from the environment (12-factor); one frozen object passed to every stage."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = REPO_ROOT / "sql"
DEFAULT_REGISTRY = REPO_ROOT / "registry" / "permit_actions.csv"

OPENSKY_API_URL = "https://opensky-network.org/api"
OPENSKY_AUTH_URL = (
    "https://auth.opensky-network.org/auth/realms/opensky-network/protocol/openid-connect/token"
)
FAA_NOTAM_API_URL = "https://external-api.faa.gov/notamapi/v1"
FEDERAL_REGISTER_API_URL = "https://www.federalregister.gov/api/v1"
OPENFLIGHTS_AIRLINES_URL = (
    "https://raw.githubusercontent.com/jpatokal/openflights/master/data/airlines.dat"
)
OURAIRPORTS_AIRPORTS_URL = "https://davidmegginson.github.io/ourairports-data/airports.csv"


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str

    def __repr__(self) -> str:  # never print the secret, even in a traceback
        return f"Credentials(client_id={self.client_id!r}, client_secret='***')"


@dataclass(frozen=True)
class Settings:
    home: Path
    duckdb_path: Path
    watchlist_path: Path | None
    opensky_api_url: str
    opensky_auth_url: str
    faa_notam_api_url: str
    federal_register_api_url: str
    openflights_airlines_url: str  # empty: no download, the curated airlines file alone
    ourairports_airports_url: str  # empty: no download, the airportsdata copy alone
    registry_path: Path
    http_timeout_s: float
    http_retries: int
    http_backoff_s: float
    max_retry_after_s: float

    @property
    def raw_dir(self) -> Path:
        return self.home / "raw"

    @property
    def staging_dir(self) -> Path:
        return self.home / "staging"

    @property
    def published_path(self) -> Path:
        """The read-only copy of the last good night that ad hoc SQL reads (see store.publish)."""
        return self.duckdb_path.parent / "published" / self.duckdb_path.name

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        home = Path(env.get("FDP_HOME", "./data")).resolve()
        watchlist = env.get("FDP_WATCHLIST")
        return cls(
            home=home,
            duckdb_path=Path(env.get("FDP_DUCKDB", home / "fdp.duckdb")).resolve(),
            watchlist_path=Path(watchlist).resolve() if watchlist else None,
            opensky_api_url=env.get("FDP_OPENSKY_API_URL", OPENSKY_API_URL).rstrip("/"),
            opensky_auth_url=env.get("FDP_OPENSKY_AUTH_URL", OPENSKY_AUTH_URL),
            faa_notam_api_url=env.get("FDP_FAA_NOTAM_API_URL", FAA_NOTAM_API_URL).rstrip("/"),
            federal_register_api_url=env.get(
                "FDP_FEDERAL_REGISTER_API_URL", FEDERAL_REGISTER_API_URL).rstrip("/"),
            openflights_airlines_url=env.get(
                "FDP_OPENFLIGHTS_AIRLINES_URL", OPENFLIGHTS_AIRLINES_URL),
            ourairports_airports_url=env.get(
                "FDP_OURAIRPORTS_AIRPORTS_URL", OURAIRPORTS_AIRPORTS_URL),
            registry_path=Path(env.get("FDP_REGISTRY", DEFAULT_REGISTRY)).resolve(),
            http_timeout_s=float(env.get("FDP_HTTP_TIMEOUT", "60")),
            http_retries=int(env.get("FDP_HTTP_RETRIES", "5")),
            http_backoff_s=float(env.get("FDP_HTTP_BACKOFF", "2")),
            max_retry_after_s=float(env.get("FDP_MAX_RETRY_AFTER", "300")),
        )


# source -> the environment variables holding its client id and secret
CREDENTIAL_VARIABLES = {
    "opensky": ("OPENSKY_CLIENT_ID", "OPENSKY_CLIENT_SECRET"),
    "faa_notam": ("FAA_NOTAM_CLIENT_ID", "FAA_NOTAM_CLIENT_SECRET"),
}


def credentials_from_env(
    source: str, env: dict[str, str] | None = None
) -> Credentials | None:
    env = dict(os.environ if env is None else env)
    id_variable, secret_variable = CREDENTIAL_VARIABLES[source]
    client_id, secret = env.get(id_variable), env.get(secret_variable)
    return Credentials(client_id, secret) if client_id and secret else None


def all_credentials_from_env() -> dict[str, Credentials | None]:
    return {source: credentials_from_env(source) for source in CREDENTIAL_VARIABLES}


# --- DuckDB's resources -------------------------------------------------------------------------
# DuckDB takes 80% of the machine's RAM and every core by default. In a container it may see
# the host's, not the container's, and be killed for it; its own out-of-memory guide advises
# 50-60% of what the process may really use. So the defaults come from the cgroup limits when
# there are any, and intermediate results spill to disk under FDP_HOME (the data volume), not
# to the working folder.
MEMORY_SHARE = 0.6
CGROUP_MEMORY_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
CGROUP_CPU_QUOTA = "/sys/fs/cgroup/cpu.max"  # "quota period", or "max period"


def duckdb_resources(env: dict[str, str] | None = None) -> dict[str, str]:
    """The memory_limit, threads and temp_directory every DuckDB connection of the pipeline
    gets: FDP_DUCKDB_MEMORY_LIMIT (e.g. "4GB"), FDP_DUCKDB_THREADS, FDP_DUCKDB_TEMP_DIRECTORY,
    or the defaults above."""
    env = dict(os.environ if env is None else env)
    home = Path(env.get("FDP_HOME", "./data")).resolve()
    memory = (env.get("FDP_DUCKDB_MEMORY_LIMIT")
              or f"{_usable_memory() * MEMORY_SHARE / 2**20:.0f}MiB")
    threads = env.get("FDP_DUCKDB_THREADS") or str(_usable_cpus())
    temp = env.get("FDP_DUCKDB_TEMP_DIRECTORY") or str(home / "tmp" / "duckdb")
    return {"memory_limit": memory, "threads": threads, "temp_directory": temp}


def _usable_memory() -> int:
    """Bytes this process may use: the machine's RAM, or its cgroup's limit if lower."""
    limits = [os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")]
    for path in CGROUP_MEMORY_LIMITS:
        try:
            text = Path(path).read_text(encoding="ascii").strip()
        except OSError:
            continue
        if text.isdigit():
            limits.append(int(text))
    return min(limits)


def _usable_cpus() -> int:
    """Cores this process may use: its CPU affinity, or its cgroup's CPU quota if lower."""
    cpus = len(os.sched_getaffinity(0))
    try:
        quota, period = Path(CGROUP_CPU_QUOTA).read_text(encoding="ascii").split()
    except (OSError, ValueError):
        return cpus
    if quota == "max":
        return cpus
    return max(1, min(cpus, -(-int(quota) // int(period))))
