-- The big by-day tables lose their primary-key indexes. Their rows are only ever written by
-- replacing whole partitions (sql/load/flights/) or whole days (sql/derive/), which keeps the
-- keys unique by construction, and sql/checks/days/ asserts it for every day a night writes.
-- The indexes made a night cost its history: on a year of a world-scale watchlist (36 million
-- flights) one night's load and derive took 9.6 s with them and 2.8 s without (bench/README.md).
-- Columns, NOT NULL and CHECK constraints are as before.

CREATE TABLE flights_unindexed (
    flight_id        VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    source_partition VARCHAR NOT NULL,
    flight_date      DATE NOT NULL,
    carrier_icao     VARCHAR,
    carrier_code     VARCHAR,
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
    run_id           VARCHAR NOT NULL,
    loaded_at        TIMESTAMP NOT NULL,
    origin_code      VARCHAR,
    dest_code        VARCHAR,
    fetched_at       TIMESTAMP
);
INSERT INTO flights_unindexed BY NAME SELECT * FROM flights;
DROP TABLE flights;
ALTER TABLE flights_unindexed RENAME TO flights;

CREATE TABLE route_daily_unindexed (
    flight_date  DATE NOT NULL,
    carrier_icao VARCHAR NOT NULL,
    origin_icao  VARCHAR NOT NULL,
    dest_icao    VARCHAR NOT NULL,
    flights      INTEGER NOT NULL,
    cancelled    INTEGER NOT NULL
);
INSERT INTO route_daily_unindexed BY NAME SELECT * FROM route_daily;
DROP TABLE route_daily;
ALTER TABLE route_daily_unindexed RENAME TO route_daily;

CREATE TABLE carrier_country_days_unindexed (
    carrier_icao VARCHAR NOT NULL,
    country      VARCHAR NOT NULL,
    flight_date  DATE NOT NULL
);
INSERT INTO carrier_country_days_unindexed BY NAME SELECT * FROM carrier_country_days;
DROP TABLE carrier_country_days;
ALTER TABLE carrier_country_days_unindexed RENAME TO carrier_country_days;

CREATE TABLE airport_traffic_daily_unindexed (
    airport_icao VARCHAR NOT NULL,
    flight_date  DATE NOT NULL,
    flights      INTEGER NOT NULL,
    cancelled    INTEGER NOT NULL,
    baseline     DOUBLE,
    ratio        DOUBLE,
    disrupted    BOOLEAN NOT NULL
);
INSERT INTO airport_traffic_daily_unindexed BY NAME SELECT * FROM airport_traffic_daily;
DROP TABLE airport_traffic_daily;
ALTER TABLE airport_traffic_daily_unindexed RENAME TO airport_traffic_daily;

CREATE TABLE country_daily_unindexed (
    flight_date DATE NOT NULL,
    country     VARCHAR NOT NULL,
    flights     BIGINT NOT NULL,
    cancelled   BIGINT NOT NULL
);
INSERT INTO country_daily_unindexed BY NAME SELECT * FROM country_daily;
DROP TABLE country_daily;
ALTER TABLE country_daily_unindexed RENAME TO country_daily;
