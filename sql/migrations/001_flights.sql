-- Observed and listed flights, one row per flight per source.
-- source_partition: the fetch partition that loaded the row (OpenSky: 'YYYY-MM-DD/AIRPORT');
-- a reload replaces exactly the rows of its partition.
CREATE TABLE flights (
    flight_id        VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    source_partition VARCHAR NOT NULL,
    flight_date      DATE NOT NULL,       -- UTC day of departure (OpenSky: firstSeen)
    carrier_icao     VARCHAR,             -- airline ICAO designator, NULL when not an airline
    carrier_code     VARCHAR,             -- designator as the source gave it (callsign prefix)
    flight_number    VARCHAR,
    callsign         VARCHAR,
    icao24           VARCHAR,
    origin_icao      VARCHAR,
    dest_icao        VARCHAR,
    dep_time_utc     TIMESTAMP,
    arr_time_utc     TIMESTAMP,
    sched_dep_utc    TIMESTAMP,
    status           VARCHAR NOT NULL
        CHECK (status IN ('observed', 'completed', 'cancelled', 'diverted', 'scheduled')),
    run_id           VARCHAR NOT NULL,    -- the run that last changed the row
    loaded_at        TIMESTAMP NOT NULL,  -- UTC
    PRIMARY KEY (source, flight_id)
);
