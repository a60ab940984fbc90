-- A carrier has one status per jurisdiction at a time: its SCD2 periods must not overlap.
SELECT coalesce(a.carrier_icao, a.carrier_name) AS carrier, a.jurisdiction_country,
       a.valid_from, b.valid_from AS overlapping_from
FROM carrier_status a
JOIN carrier_status b
  ON coalesce(a.carrier_icao, a.carrier_name) = coalesce(b.carrier_icao, b.carrier_name)
 AND a.jurisdiction_country = b.jurisdiction_country
 AND a.valid_from < b.valid_from
 AND (a.valid_to IS NULL OR a.valid_to > b.valid_from)
