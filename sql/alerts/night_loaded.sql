-- Whether UTC day $day has data: a partition of that day loaded, or flights on it (imports).
-- Alerts speak only of a night that is there.
SELECT EXISTS (SELECT 1 FROM load_log
               WHERE status IN ('loaded', 'unchanged')
                 AND starts_with("partition", strftime(CAST($day AS DATE), '%Y-%m-%d/')))
    OR EXISTS (SELECT 1 FROM route_daily WHERE flight_date = $day);
