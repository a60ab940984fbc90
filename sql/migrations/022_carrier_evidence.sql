-- The flight evidence of carrier statuses, kept per act boundary (sql/derive/027): the
-- as-of macros (sql/views/010) looked it up in carrier_country_days on every query, a scan
-- that grows with the history (60 ms on the benchmark's year). Filled by sql/derive/027,
-- which migrate runs after any new migration (pipeline/store/db.py).
CREATE TABLE carrier_evidence (
    carrier_icao       VARCHAR NOT NULL,
    country            VARCHAR NOT NULL,
    boundary           DATE NOT NULL,  -- an act's effective_date or end_date
    last_flight_before DATE,           -- the carrier's last day in the country before it
    first_flight_from  DATE,           -- its first day there on or after it
    PRIMARY KEY (carrier_icao, country, boundary)
);
