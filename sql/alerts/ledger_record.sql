-- Record alerts the channel accepted (or that were skipped), once: a key already there stays.
INSERT OR IGNORE INTO alert_log (alert_key, channel, night, outcome, subject, recorded_at, run_id)
SELECT unnest($alert_keys), $channel, $night, $outcome, unnest($subjects), $recorded_at, $run_id;
