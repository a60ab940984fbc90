-- Each route's last flight days, kept night to night (sql/derive/035): route_events found them
-- by grouping 148 days of route_daily every night (0.4 s on the benchmark's year). Writer's
-- state, not published: readers get the tables of schema main.
CREATE SCHEMA fdp_state;

CREATE TABLE fdp_state.route_last_flights (
    carrier_icao VARCHAR NOT NULL,
    origin_icao  VARCHAR NOT NULL,
    dest_icao    VARCHAR NOT NULL,
    days         DATE[] NOT NULL,   -- the route's last flight days, newest first, at most 8
    complete     BOOLEAN NOT NULL   -- days holds every flight day the route has
);

INSERT INTO fdp_state.route_last_flights
SELECT carrier_icao, origin_icao, dest_icao, max(flight_date, 8), count(*) <= 8
FROM route_daily
WHERE flights > 0
GROUP BY ALL;
