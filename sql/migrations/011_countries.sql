-- Countries: ISO 3166-1 alpha-2 code and English name (CLDR, via the babel package), plus EU.
CREATE TABLE countries (
    country          VARCHAR PRIMARY KEY,
    name             VARCHAR NOT NULL,
    source_partition VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,
    loaded_at        TIMESTAMP NOT NULL
);
