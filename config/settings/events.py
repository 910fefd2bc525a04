"""Settings of the events app and the deliverer (docs/events.md), put together with the
others in config/settings/__init__.py: only settings read the environment."""

from config.env import env_float, env_int, env_path, env_str
from config.settings.paths import VAR_DIR

# Snapshots (JPEG + thumbnail per event) live here; workers and the web must share it on a multi-host deployment.
EVENTS_MEDIA_DIR = env_path("EVENTS_MEDIA_DIR", VAR_DIR / "events")
EVENTS_RETENTION_DAYS = env_float("EVENTS_RETENTION_DAYS", 30.0)
EVENTS_MEDIA_MAX_MB = env_float("EVENTS_MEDIA_MAX_MB", 2048.0)
# A tracked object unseen this long has left: its event ends (its end time is when it was last seen).
EVENTS_OBJECT_LOST_S = env_float("EVENTS_OBJECT_LOST_S", 2.0)
# At most one update (a better snapshot) per event per this many seconds.
EVENTS_UPDATE_INTERVAL_S = env_float("EVENTS_UPDATE_INTERVAL_S", 1.0)
# How often a running pipeline re-reads its stream's rules (edits apply within this time, no restart).
EVENTS_RULES_REFRESH_S = env_float("EVENTS_RULES_REFRESH_S", 5.0)
# The deliverer's housekeeping: end events whose worker died, prune snapshots and old delivered messages.
EVENTS_HOUSEKEEPING_S = env_float("EVENTS_HOUSEKEEPING_S", 5.0)
EVENTS_OUTBOX_KEEP_DAYS = env_float("EVENTS_OUTBOX_KEEP_DAYS", 7.0)
WEBHOOK_TIMEOUT_S = env_float("WEBHOOK_TIMEOUT_S", 10.0)
WEBHOOK_RETRY_BASE_S = env_float("WEBHOOK_RETRY_BASE_S", 1.0)
WEBHOOK_RETRY_MAX_S = env_float("WEBHOOK_RETRY_MAX_S", 60.0)
WEBHOOK_GIVE_UP_AFTER_S = env_float("WEBHOOK_GIVE_UP_AFTER_S", 86400.0)
# A claimed delivery belongs to its deliverer this long; a deliverer killed mid-send loses it after that.
DELIVERY_LEASE_S = env_float("DELIVERY_LEASE_S", 30.0)
DELIVERY_CONCURRENCY = env_int("DELIVERY_CONCURRENCY", 4)
# Empty: no MQTT. mqtt://user:password@host:1883 (mqtts:// for TLS).
MQTT_URL = env_str("MQTT_URL")
MQTT_TOPIC_PREFIX = env_str("MQTT_TOPIC_PREFIX", "streamvision")
MQTT_TIMEOUT_S = env_float("MQTT_TIMEOUT_S", 5.0)
