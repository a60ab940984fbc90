-- One row per partition per load attempt: what was loaded, from which raw inputs, and how it ended.
-- status: loaded (rows replaced), unchanged (same content as the last load; rows kept), failed.
CREATE TABLE load_log (
    run_id         VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    "partition"    VARCHAR NOT NULL,
    rows           BIGINT,
    raw_sha256     VARCHAR,            -- fingerprint of the raw files the rows came from
    content_sha256 VARCHAR,            -- fingerprint of the normalized rows
    started_at     TIMESTAMP NOT NULL, -- UTC
    finished_at    TIMESTAMP,          -- UTC
    status         VARCHAR NOT NULL CHECK (status IN ('loaded', 'unchanged', 'failed')),
    message        VARCHAR
);
