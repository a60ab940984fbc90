-- Service shifts: where a carrier's service went when it left an airport, kept up to date by
-- sql/derive/050_service_shifts.sql (its header says the rules).
CREATE TABLE service_shifts (
    carrier_icao        VARCHAR NOT NULL,
    lost_origin_icao    VARCHAR NOT NULL,
    lost_dest_icao      VARCHAR NOT NULL,
    suspended_on        DATE NOT NULL,     -- the suspension's event_date (route_events)
    moved_end           VARCHAR NOT NULL CHECK (moved_end IN ('origin', 'dest')),
    left_airport_icao   VARCHAR NOT NULL,
    new_airport_icao    VARCHAR NOT NULL,
    distance_km         DOUBLE NOT NULL,   -- great circle, between the two
    new_origin_icao     VARCHAR NOT NULL,
    new_dest_icao       VARCHAR NOT NULL,
    lost_weekly_flights DOUBLE,            -- the lost route's usual week (baseline)
    new_weekly_before   DOUBLE NOT NULL,   -- the new route, the 14 days before, per week
    new_weekly_after    DOUBLE NOT NULL,   -- the new route from the suspension on, per week
    detected_on         DATE NOT NULL
);
-- rebuilds: derived tables (service_shifts is new)
