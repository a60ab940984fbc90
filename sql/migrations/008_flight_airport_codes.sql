-- The airport codes as each source gave them (flight lists use IATA codes). When a code does
-- not resolve to an ICAO airport, origin_icao/dest_icao stay NULL and the code is kept here.
ALTER TABLE flights ADD COLUMN origin_code VARCHAR;
ALTER TABLE flights ADD COLUMN dest_code VARCHAR;
UPDATE flights SET origin_code = origin_icao, dest_code = dest_icao;
