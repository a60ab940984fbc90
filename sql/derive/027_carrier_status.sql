-- carrier_status: every carrier's official status history as the whole registry tells it,
-- rebuilt on every load (the registry is small; the flight evidence comes from the small
-- carrier_country_days). The rules are those of carrier_status_known (sql/views/).
DELETE FROM carrier_status;

INSERT INTO carrier_status BY NAME
SELECT * FROM carrier_status_known(DATE '9999-12-31');
