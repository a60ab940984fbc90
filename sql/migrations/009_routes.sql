-- Route and traffic tables, derived incrementally from flights (sql/derive/020_routes.sql).
-- A route is (carrier_icao, origin_icao, dest_icao).

CREATE TABLE route_daily (
    flight_date  DATE NOT NULL,
    carrier_icao VARCHAR NOT NULL,
    origin_icao  VARCHAR NOT NULL,
    dest_icao    VARCHAR NOT NULL,
    flights      INTEGER NOT NULL,  -- flown: observed, completed or diverted
    cancelled    INTEGER NOT NULL,
    PRIMARY KEY (flight_date, carrier_icao, origin_icao, dest_icao)
);

-- Flights touching each airport per UTC day against its own recent baseline: the mean of the
-- same weekday over the four weeks before (days with data only). disrupted: far below it.
-- For OpenSky only the watched airports are complete; other airports count only the flights
-- that touched a watched one.
CREATE TABLE airport_traffic_daily (
    airport_icao VARCHAR NOT NULL,
    flight_date  DATE NOT NULL,
    flights      INTEGER NOT NULL,
    cancelled    INTEGER NOT NULL,
    baseline     DOUBLE,
    ratio        DOUBLE,
    disrupted    BOOLEAN NOT NULL,
    PRIMARY KEY (airport_icao, flight_date)
);

CREATE TABLE route_events (
    carrier_icao            VARCHAR NOT NULL,
    origin_icao             VARCHAR NOT NULL,
    dest_icao               VARCHAR NOT NULL,
    event_type              VARCHAR NOT NULL CHECK (event_type IN ('started', 'suspended', 'resumed')),
    event_date              DATE NOT NULL,   -- suspended: the first day without the route
    last_flight_date        DATE,            -- the last flight before the gap (suspended, resumed)
    detected_on             DATE NOT NULL,   -- the data day on which the evidence first sufficed
    baseline_weekly_flights DOUBLE,
    confidence              DOUBLE NOT NULL
);
