"""The API check reports what keeps the DAGs from running, against a local stand-in for
Airflow's REST API (tests/integration/test_deploy.py runs it against a real Airflow)."""

from __future__ import annotations

from pipeline import airflow_check
from pipeline.airflow_tasks import WRITER_POOL

TRACE = ('Traceback (most recent call last):\n  File "x.py"\n'
         'ModuleNotFoundError: No module named "pipeline"\n')


def _serve(httpserver, *, errors: list[dict], dag_ids: list[str], pool: dict | None) -> None:
    httpserver.expect_request("/api/v2/monitor/health").respond_with_json({})
    httpserver.expect_request("/auth/token", method="POST",
                              json={"username": "airflow", "password": "pw"}
                              ).respond_with_json({"access_token": "t0ken"}, status=201)
    auth = {"Authorization": "Bearer t0ken"}
    httpserver.expect_request("/api/v2/importErrors", headers=auth).respond_with_json(
        {"import_errors": errors, "total_entries": len(errors)})
    httpserver.expect_request("/api/v2/dags", headers=auth).respond_with_json(
        {"dags": [{"dag_id": d} for d in dag_ids], "total_entries": len(dag_ids)})
    pools = httpserver.expect_request(f"/api/v2/pools/{WRITER_POOL}", headers=auth)
    if pool is None:
        pools.respond_with_json({"detail": "not found"}, status=404)
    else:
        pools.respond_with_json(pool)


def test_ready_airflow_passes(httpserver, monkeypatch, capsys):
    _serve(httpserver, errors=[], dag_ids=[*airflow_check.DAG_IDS, "other"],
           pool={"name": WRITER_POOL, "slots": 1})
    monkeypatch.setenv("AIRFLOW_PASSWORD", "pw")
    assert airflow_check.main(["--url", httpserver.url_for(""), "--username", "airflow"]) == 0
    assert "no import errors" in capsys.readouterr().out


def test_import_error_ends_the_wait_and_is_reported(httpserver, monkeypatch, capsys):
    _serve(httpserver, errors=[{"filename": "/opt/fdp/dags/flight_disruption_nightly.py",
                                "stack_trace": TRACE}], dag_ids=[], pool=None)
    monkeypatch.setenv("AIRFLOW_PASSWORD", "pw")
    assert airflow_check.main(["--url", httpserver.url_for(""), "--username", "airflow",
                               "--timeout", "60"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "import error in /opt/fdp/dags/flight_disruption_nightly.py: "
        'ModuleNotFoundError: No module named "pipeline"']


def test_missing_dag_and_pool_are_reported_at_the_deadline(httpserver):
    _serve(httpserver, errors=[], dag_ids=[airflow_check.REFERENCE_DAG_ID], pool=None)
    api = airflow_check.AirflowApi(httpserver.url_for(""), "airflow", "pw")
    assert airflow_check.wait_for_dags(api, timeout_s=0) == [
        f"DAG {airflow_check.NIGHTLY_DAG_ID} is not loaded",
        f"pool {WRITER_POOL} is missing: the load tasks would wait for it forever"]


def test_pool_with_more_than_one_slot_is_a_problem(httpserver):
    _serve(httpserver, errors=[], dag_ids=list(airflow_check.DAG_IDS),
           pool={"name": WRITER_POOL, "slots": 4})
    api = airflow_check.AirflowApi(httpserver.url_for(""), "airflow", "pw")
    assert airflow_check.pool_problems(api) == [
        f"pool {WRITER_POOL} has 4 slots; DuckDB allows one writer, so it must have 1"]
