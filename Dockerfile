# The image docker-compose.yml runs: the official Airflow 3.3 image plus this project, with
# every Python package at the version (and hash) pinned in requirements-docker.lock.
FROM apache/airflow:3.3.2-python3.12

USER root
RUN mkdir -p /opt/fdp /opt/fdp-data && chown airflow:0 /opt/fdp /opt/fdp-data
USER airflow

COPY --chown=airflow:0 requirements-docker.lock /opt/fdp/
RUN pip install --no-cache-dir --require-hashes -r /opt/fdp/requirements-docker.lock

# The package reads sql/, registry/ and dags/ beside it (pipeline.config.REPO_ROOT), so it is
# installed in place (editable) rather than copied into site-packages.
COPY --chown=airflow:0 pyproject.toml README.md /opt/fdp/
COPY --chown=airflow:0 pipeline /opt/fdp/pipeline
COPY --chown=airflow:0 sql /opt/fdp/sql
COPY --chown=airflow:0 registry /opt/fdp/registry
COPY --chown=airflow:0 dags /opt/fdp/dags
RUN pip install --no-cache-dir --no-deps -e /opt/fdp

ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/fdp/dags \
    FDP_HOME=/opt/fdp-data
