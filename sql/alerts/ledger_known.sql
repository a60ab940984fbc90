-- Which of the alerts $alert_keys the channel $channel already had (sent, or skipped as old).
SELECT alert_key FROM alert_log
WHERE channel = $channel AND list_contains($alert_keys, alert_key);
