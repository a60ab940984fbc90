-- Flight times and detours: each route-day's median flight time (sql/derive/020), the
-- countries each route's great circle crosses (pipeline/store/derive.py, from the bundled
-- Natural Earth boundaries) and the lasting jumps in flight time (sql/derive/060, its header
-- says the rules).
ALTER TABLE route_daily ADD COLUMN timed_flights INTEGER NOT NULL DEFAULT 0;
ALTER TABLE route_daily ADD COLUMN median_flight_minutes DOUBLE;  -- NULL: no timed flight
-- the median and spread of median_flight_minutes over the route's 28 days before (NULL: no
-- timed flight, or fewer than 10 such days), kept by sql/derive/060
ALTER TABLE route_daily ADD COLUMN flight_minutes_baseline DOUBLE;
ALTER TABLE route_daily ADD COLUMN flight_minutes_spread DOUBLE;

CREATE TABLE route_crossings (
    origin_icao VARCHAR NOT NULL,
    dest_icao   VARCHAR NOT NULL,
    country     VARCHAR NOT NULL,  -- ISO 3166-1 alpha-2, the two ends' countries included
    entry_km    DOUBLE NOT NULL,   -- along the great circle, where it enters the country
    km_over     DOUBLE NOT NULL,   -- how far it flies over the country
    route_km    DOUBLE NOT NULL,   -- the great circle's length
    PRIMARY KEY (origin_icao, dest_icao, country)
);

CREATE TABLE route_detours (
    carrier_icao      VARCHAR NOT NULL,
    origin_icao       VARCHAR NOT NULL,
    dest_icao         VARCHAR NOT NULL,
    started_on        DATE NOT NULL,    -- the first day of the longer flight times
    detected_on       DATE NOT NULL,    -- the day the jump had lasted long enough
    ended_on          DATE,             -- the first day back to the baseline; NULL: still on
    baseline_minutes  DOUBLE NOT NULL,  -- the median flight time of the 28 days before
    threshold_minutes DOUBLE NOT NULL,  -- how much longer a day had to be to count
    minutes_added     DOUBLE NOT NULL,  -- median of the judged days, less the baseline
    judged_days       INTEGER NOT NULL, -- flight days judged (at most 7, within 14 days)
    long_days         INTEGER NOT NULL, -- of which longer by the threshold or more
    confidence        DOUBLE NOT NULL,  -- 1 - the chance of so many long days by chance
    PRIMARY KEY (carrier_icao, origin_icao, dest_icao, started_on)
);
-- rebuilds: derived tables (route_daily gains flight times; the two tables are new)
