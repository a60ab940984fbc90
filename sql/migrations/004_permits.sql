-- The permit-action registry (registry/permit_actions.csv), reloaded whole every night.
CREATE TABLE permit_actions (
    action_id            VARCHAR PRIMARY KEY,
    authority            VARCHAR,
    authority_country    VARCHAR,
    action               VARCHAR NOT NULL,
    carrier_icao         VARCHAR,
    carrier_iata         VARCHAR,
    carrier_name         VARCHAR,
    jurisdiction_country VARCHAR NOT NULL,
    scope                VARCHAR,
    effective_date       DATE NOT NULL,
    end_date             DATE,
    announced_date       DATE,
    source_url           VARCHAR NOT NULL,
    source_title         VARCHAR,
    notes                VARCHAR,
    tags                 VARCHAR,   -- the status tags that open `notes`, e.g. 'verified'
    source_partition     VARCHAR NOT NULL,
    run_id               VARCHAR NOT NULL,
    loaded_at            TIMESTAMP NOT NULL
);

-- Official status of a carrier in a jurisdiction over time, derived from permit_actions
-- (sql/derive/010_carrier_status.sql). valid_from inclusive, valid_to exclusive, NULL = still
-- true. Evidence from flights: the carrier's last flight touching the country before
-- valid_from, and its first on or after it.
CREATE TABLE carrier_status (
    carrier_icao         VARCHAR NOT NULL,
    jurisdiction_country VARCHAR NOT NULL,
    status               VARCHAR NOT NULL
        CHECK (status IN ('authorized', 'suspended', 'revoked', 'banned', 'restricted')),
    valid_from           DATE NOT NULL,
    valid_to             DATE,
    authority            VARCHAR,
    action_id            VARCHAR NOT NULL,
    last_flight_before   DATE,
    first_flight_after   DATE
);
