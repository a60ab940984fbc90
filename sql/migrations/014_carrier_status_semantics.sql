-- Honest carrier statuses (sql/views/010_carrier_status.sql says the rules). A carrier named in
-- an act without an ICAO designator (e.g. Plus Ultra, whose designator is unverified) gets a
-- status too, under its name; `ended_by` names the act that ends a period.
ALTER TABLE carrier_status ALTER COLUMN carrier_icao DROP NOT NULL;
ALTER TABLE carrier_status ADD COLUMN carrier_name VARCHAR;
ALTER TABLE carrier_status ADD COLUMN ended_by VARCHAR;

-- The days each carrier flew to, from or within each country: the flight evidence of the
-- statuses, kept up to date for the touched days by sql/derive/025_country_daily.sql.
CREATE TABLE carrier_country_days (
    carrier_icao VARCHAR NOT NULL,
    country      VARCHAR NOT NULL,
    flight_date  DATE NOT NULL,
    PRIMARY KEY (carrier_icao, country, flight_date)
);
-- rebuilds: derived tables (carrier_country_days is new; statuses follow the new rules)
