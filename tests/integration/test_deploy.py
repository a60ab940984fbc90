"""How users deploy: docker-compose.yml + Dockerfile, checked with Debian's real
docker-compose parser (no Docker engine), and `make airflow`, started for real and asked
through Airflow's REST API whether the DAGs were parsed without errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import tomllib
from configparser import ConfigParser
from pathlib import Path

import pytest
import yaml
from airflow_server import fdp_env, standalone
from conftest import SECRET_MARK

from pipeline.airflow_check import (
    DAG_IDS,
    import_errors,
    missing_dags,
    pool_problems,
)
from pipeline.airflow_tasks import WRITER_POOL
from pipeline.alerts.channels import AlertSettings
from pipeline.config import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKER_LOCK = REPO_ROOT / "requirements-docker.lock"
# The services of the official Airflow 3 compose file, and what the celery profile adds.
CORE_SERVICES = {"postgres", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                 "airflow-triggerer", "airflow-init"}
CELERY_SERVICES = {"redis", "airflow-worker"}
FAKE_CLIENT_ID = "fdp-test-client"
# Characters a URI would mangle: they must reach the connection unchanged. The compose one is
# written to the env file the test makes, so it does not carry the leak guard's mark.
COMPOSE_SECRET = "p@ss/w:rd%25+=&?#x"
STANDALONE_SECRET = f'{SECRET_MARK}"\\/p@ss:w%rd+=&?#x'


def compose_config(tmp_path: Path, env_lines: dict[str, str] | None = None
                   ) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` with .env.example, its values overridden by `env_lines` (the
    last value wins), as the env file: a user's .env made from the example."""
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.fail("docker-compose is not installed: run `make system-deps` (Debian's "
                    "docker-compose parses docker-compose.yml; no Docker engine needed)")
    text = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    text += "".join(f"{key}={value}\n" for key, value in (env_lines or {}).items())
    env_file = tmp_path / "compose.env"
    env_file.write_text(text, encoding="utf-8")
    # Only PATH: variables of the test run must not leak into the interpolation.
    return subprocess.run(
        [compose, "-f", str(COMPOSE_FILE), "--env-file", str(env_file), "config"],
        capture_output=True, text=True, cwd=REPO_ROOT, env={"PATH": os.environ["PATH"]},
        check=False)


def parsed_config(tmp_path: Path, **env_lines: str) -> dict:
    done = compose_config(tmp_path, {"AIRFLOW_JWT_SECRET": "test-jwt-key",
                                     "OPENSKY_CLIENT_ID": FAKE_CLIENT_ID,
                                     "OPENSKY_CLIENT_SECRET": COMPOSE_SECRET, **env_lines})
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def airflow_services(config: dict) -> dict[str, dict]:
    """The services built from this project's image (the x-airflow-common anchor)."""
    image = config["services"]["airflow-apiserver"]["image"]
    return {name: s for name, s in config["services"].items() if s.get("image") == image}


def test_compose_refuses_to_start_without_a_jwt_secret(tmp_path):
    done = compose_config(tmp_path)
    assert done.returncode != 0
    assert "AIRFLOW_JWT_SECRET" in done.stderr


def test_compose_has_the_official_services_and_a_celery_profile(tmp_path):
    services = parsed_config(tmp_path)["services"]
    assert set(services) >= CORE_SERVICES | CELERY_SERVICES
    # docker-compose 1.29's `config` lists every service: the profiles say what `up` starts.
    assert all("profiles" not in services[name] for name in CORE_SERVICES)
    assert all(services[name]["profiles"] == ["celery"] for name in CELERY_SERVICES)
    worker = services["airflow-worker"]
    assert worker["command"] == "celery worker"
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    # Services that always start may not depend on the celery profile's redis.
    assert all("redis" not in services[name].get("depends_on", {}) for name in CORE_SERVICES)
    for name in CORE_SERVICES - {"postgres", "airflow-init"}:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == \
            "service_completed_successfully"
        assert services[name]["healthcheck"]["test"]


def test_every_airflow_service_gets_what_the_dags_need(tmp_path):
    config = parsed_config(tmp_path)
    services = airflow_services(config)
    assert CORE_SERVICES - {"postgres"} | {"airflow-worker"} <= set(services)
    for name, service in services.items():
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "test-jwt-key", name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == \
            "http://airflow-apiserver:8080/execution/", name
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/fdp/dags", name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql"), name
        # FDP_HOME is the shared data volume in every container that may run a task.
        mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
        assert mounts[env["FDP_HOME"]] == "fdp-data", name
        opensky = json.loads(env["AIRFLOW_CONN_OPENSKY_DEFAULT"])
        assert (opensky["login"], opensky["password"]) == (FAKE_CLIENT_ID, COMPOSE_SECRET), name
        faa = json.loads(env["AIRFLOW_CONN_FAA_NOTAM_DEFAULT"])
        assert (faa["login"], faa["password"]) == ("", ""), name  # unset: env fallback
    assert "fdp-data" in config["volumes"]
    init = "\n".join(config["services"]["airflow-init"]["command"])
    assert f"airflow pools set {WRITER_POOL} 1 " in init
    assert config["services"]["airflow-init"]["environment"]["_AIRFLOW_DB_MIGRATE"] == "true"


def test_alert_settings_in_env_reach_every_airflow_service(tmp_path):
    off = parsed_config(tmp_path)  # .env.example as it is: alerts off, and no error
    for name, service in airflow_services(off).items():
        settings = AlertSettings.from_env(service["environment"])
        assert (settings.webhook_url, settings.smtp_host, settings.smtp_security) == \
            ("", "", "starttls"), name
    on = parsed_config(tmp_path, FDP_ALERT_WEBHOOK_URL="https://hooks.example.org/T0/B0",
                       FDP_ALERT_SMTP_HOST="smtp.example.org", FDP_ALERT_SMTP_PORT="2525",
                       FDP_ALERT_SMTP_TO="desk@example.org, risk@example.org",
                       FDP_ALERT_MAX_AGE_DAYS="7")
    for name, service in airflow_services(on).items():
        settings = AlertSettings.from_env(service["environment"])
        assert settings.webhook_url == "https://hooks.example.org/T0/B0", name
        assert (settings.smtp_host, settings.smtp_port, settings.max_age_days) == \
            ("smtp.example.org", 2525, 7), name
        assert settings.smtp_to == ("desk@example.org", "risk@example.org"), name


def test_compose_env_switches_the_executor_and_the_data_folder(tmp_path):
    config = parsed_config(tmp_path, AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
                           FDP_DATA="./data", AIRFLOW_UID="1234")
    for name, service in airflow_services(config).items():
        assert service["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert f"{REPO_ROOT / 'data'}:/opt/fdp-data:rw" in service["volumes"], name
    assert config["services"]["airflow-scheduler"]["user"] == "1234:0"
    assert "1234:0" in "\n".join(config["services"]["airflow-init"]["command"])


def _needed_paths() -> set[str]:
    """What the installed package reads from the repository: itself, its DAGs, the build's
    metadata, and every folder the code names as REPO_ROOT / "...". """
    named = {match for path in (REPO_ROOT / "pipeline").rglob("*.py")
             for match in re.findall(r'REPO_ROOT\s*/\s*"([^"/]+)"',
                                     path.read_text(encoding="utf-8"))}
    return named | {"pipeline", "dags", "pyproject.toml", "README.md"}


def test_dockerfile_builds_on_airflow_3_3_and_copies_what_the_package_reads():
    text = DOCKERFILE.read_text(encoding="utf-8")
    [base] = re.findall(r"^FROM\s+(\S+)", text, flags=re.MULTILINE)
    assert re.fullmatch(r"apache/airflow:3\.3\.\d+-python3\.1[1-9]", base)
    image_airflow = base.split(":")[1].split("-")[0]
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"apache-airflow=={image_airflow}" in pyproject["project"]["dependencies"]
    assert f"\napache-airflow=={image_airflow} " in DOCKER_LOCK.read_text(encoding="utf-8")
    assert "--require-hashes -r /opt/fdp/requirements-docker.lock" in text

    copied = {source for line in re.findall(r"^COPY\s+(.+)$", text, flags=re.MULTILINE)
              for source in line.split()[:-1] if not source.startswith("--")}
    assert _needed_paths() <= copied, "the image lacks what the package reads"
    ignored = {line.strip() for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert not ignored & _needed_paths()
    assert {".env", ".venv", "data", ".git"} <= ignored  # secrets and bulk stay out
    assert "ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/fdp/dags" in text


def test_docker_lock_pins_the_runtime_and_leaves_out_dev_tools():
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pinned = {line.split("==")[0] for line in DOCKER_LOCK.read_text().splitlines()
              if "==" in line and not line.startswith((" ", "#"))}
    runtime = {re.split(r"[<>=\[ ]", dep)[0] for dep in pyproject["project"]["dependencies"]}
    assert runtime <= pinned
    assert {"apache-airflow-providers-celery", "apache-airflow-providers-fab",
            "apache-airflow-providers-postgres"} <= pinned
    assert not {"pytest", "ruff", "dlt", "selenium"} & pinned


# --- make airflow --------------------------------------------------------------------------

def _stored_connection(airflow_home: Path, conn_id: str) -> tuple[str, str]:
    """The connection's login and decrypted password, read from the SQLite metadata."""
    from cryptography.fernet import Fernet

    cfg = ConfigParser(interpolation=None)
    cfg.read(airflow_home / "airflow.cfg")
    with sqlite3.connect(airflow_home / "airflow.db") as db:
        login, password, encrypted = db.execute(
            "SELECT login, password, is_encrypted FROM connection WHERE conn_id = ?",
            (conn_id,)).fetchone()
    assert encrypted, "the secret is stored in clear"
    return login, Fernet(cfg["core"]["fernet_key"].encode()).decrypt(password.encode()).decode()


def test_make_airflow_serves_the_dags_through_the_api(tmp_path):
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "airflow: install\n\t$(BIN)/python -m pipeline.airflow_standalone\n" in makefile
    env = fdp_env(tmp_path / "fdp", OPENSKY_CLIENT_ID=FAKE_CLIENT_ID,
                  OPENSKY_CLIENT_SECRET=STANDALONE_SECRET)
    with standalone(env, tmp_path / "standalone.log") as server:
        api = server.api()
        assert import_errors(api) == [] and missing_dags(api) == [] and pool_problems(api) == []
        dags = {d["dag_id"]: d for d in api.get("/api/v2/dags", limit=100)["dags"]}
        assert set(DAG_IDS) <= set(dags)
        conn = api.get("/api/v2/connections/opensky_default")
        assert conn["login"] == FAKE_CLIENT_ID and conn["password"] != STANDALONE_SECRET
        assert _stored_connection(tmp_path / "fdp" / "airflow", "opensky_default") == (
            FAKE_CLIENT_ID, STANDALONE_SECRET)
    # Ctrl-C, as a user stops it: standalone stops its components, then exits cleanly
    assert server.process.returncode == 0, server.log_tail()
