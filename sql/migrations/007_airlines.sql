-- Airlines reference: OpenFlights airlines.dat with the curated file (pipeline/reference/
-- airlines_curated.csv) winning per ICAO designator; reloaded whole every night.
-- One row per designator and validity period: valid_from inclusive, valid_to exclusive, NULL =
-- open (IATA codes pass from one airline to another, e.g. AZ from Alitalia to ITA Airways).
CREATE TABLE airlines (
    airline_icao     VARCHAR NOT NULL,
    iata             VARCHAR,
    name             VARCHAR NOT NULL,
    callsign         VARCHAR,           -- radiotelephony callsign, e.g. 'SPEEDBIRD'
    country          VARCHAR,           -- ISO 3166-1 alpha-2
    active           BOOLEAN,
    valid_from       DATE,
    valid_to         DATE,
    origin           VARCHAR NOT NULL CHECK (origin IN ('curated', 'openflights')),
    note             VARCHAR,
    source_partition VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,
    loaded_at        TIMESTAMP NOT NULL
);
-- A plain UNIQUE (airline_icao, valid_from) would let two open-start rows of one designator in,
-- because NULLs never collide; the index compares them as equal.
CREATE UNIQUE INDEX airlines_designator_period
    ON airlines (airline_icao, coalesce(valid_from, DATE '0001-01-01'));
