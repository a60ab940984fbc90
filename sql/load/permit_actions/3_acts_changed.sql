-- The week before the earliest act that changed: from there on, the route gaps an act can
-- support are judged again (the rule: an act takes effect at most 7 days after the day it
-- supports). A separate table, not touched_dates: no route or traffic day changes with it.
CREATE TEMP TABLE IF NOT EXISTS acts_changed_from (d DATE);

INSERT INTO acts_changed_from
SELECT min(effective_date) - 7
FROM (
    (SELECT action_id, action, carrier_icao, carrier_name, jurisdiction_country,
            effective_date, end_date, announced_date
     FROM permit_actions
     EXCEPT SELECT * FROM acts_before)
    UNION ALL
    (SELECT * FROM acts_before
     EXCEPT SELECT action_id, action, carrier_icao, carrier_name, jurisdiction_country,
                   effective_date, end_date, announced_date
            FROM permit_actions)
)
HAVING count(*) > 0;
