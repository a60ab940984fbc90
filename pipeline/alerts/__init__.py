"""Alerts: after each night, its new route suspensions and carrier-status changes, with their
causes, go to a webhook (Slack-compatible JSON) and by e-mail, each alert once per channel.

- night.py: what the alerts of a night say (sql/alerts/night.sql) and how each channel shows it;
- channels.py: where they go (Airflow connections in Airflow, FDP_ALERT_* settings outside);
- notifiers.py: the Airflow notifiers that send them (imported only when something is sent);
- delivery.py: the ledger (alert_log), the age rule for old nights, and failures."""
