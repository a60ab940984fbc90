-- Flights to, from or within each country per UTC day, kept up to date by
-- sql/derive/025_country_daily.sql for the touched days, so that country_traffic_daily reads a
-- few hundred rows a day instead of aggregating route_daily over all history (1.6 s over a year
-- of global traffic; bench/README.md). A flight between two countries counts for both.
CREATE TABLE country_daily (
    flight_date DATE NOT NULL,
    country     VARCHAR NOT NULL,
    flights     BIGINT NOT NULL,   -- flown: observed, completed or diverted
    cancelled   BIGINT NOT NULL,
    PRIMARY KEY (flight_date, country)
);

INSERT INTO country_daily
SELECT r.flight_date, c.country, sum(r.flights), sum(r.cancelled)
FROM route_daily r
JOIN airports o ON o.airport_icao = r.origin_icao
JOIN airports d ON d.airport_icao = r.dest_icao
CROSS JOIN LATERAL (SELECT DISTINCT unnest([o.country, d.country]) AS country) c
GROUP BY ALL;
