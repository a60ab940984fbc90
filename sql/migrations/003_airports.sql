-- Airports reference, keyed by ICAO code (from the airportsdata package; offline).
CREATE TABLE airports (
    airport_icao VARCHAR PRIMARY KEY,
    iata         VARCHAR,
    name         VARCHAR NOT NULL,
    city         VARCHAR,
    subdivision  VARCHAR,
    country      VARCHAR NOT NULL,   -- ISO 3166-1 alpha-2
    elevation_ft DOUBLE,
    lat          DOUBLE NOT NULL,
    lon          DOUBLE NOT NULL,
    tz           VARCHAR,            -- IANA time zone
    source_partition VARCHAR NOT NULL,
    run_id       VARCHAR NOT NULL,
    loaded_at    TIMESTAMP NOT NULL
);
