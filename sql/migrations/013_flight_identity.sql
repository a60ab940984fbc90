-- Partition identity. A flight that two partitions of one source give (a watchlist change, an
-- airport OpenSky re-estimated between two fetches, one file imported under two names) is
-- stored once in `flights`: the copy from the newest raw fetch (sql/load/flights/). The other
-- copies wait in flight_copies, so that the flight survives if the partition holding it stops
-- listing it.
ALTER TABLE flights ADD COLUMN fetched_at TIMESTAMP;  -- UTC; the raw fetch behind the row
UPDATE flights SET fetched_at = loaded_at;

-- Same columns as flights (keep them in step), with no keys: several copies of a flight may wait.
CREATE TABLE flight_copies AS FROM flights LIMIT 0;

-- How many of a partition's rows were also given by another partition of its source.
ALTER TABLE load_log ADD COLUMN merged BIGINT;

-- Rows of one source that stand for a physical flight another source also gave (e.g. an
-- OpenSky observation of a flight a BTS list reports): route and traffic tables count the kept
-- row only. Derived for the touched days by sql/derive/015_flight_duplicates.sql.
CREATE TABLE flight_duplicates (
    source         VARCHAR NOT NULL,
    flight_id      VARCHAR NOT NULL,
    flight_date    DATE NOT NULL,
    kept_source    VARCHAR NOT NULL,
    kept_flight_id VARCHAR NOT NULL,
    PRIMARY KEY (source, flight_id)
);
-- rebuilds: derived tables (flight_duplicates is new; the route tables then count each flight once)
