"""Settings of the outputs app (docs/outputs.md): players' viewing tokens, MJPEG and the still image. Put together
with the others in config/settings/__init__.py; only settings read the environment (config/env.py)."""

from config.env import env_float, env_int

# Refused viewing tokens per client address before it gets 429 for OUTPUT_TOKEN_LOCKOUT_S (counted in Redis,
# shared by every web process; the cool-off counts from the latest counted failure, as for logins).
OUTPUT_TOKEN_FAILURE_LIMIT = env_int("OUTPUT_TOKEN_FAILURE_LIMIT", 10)
OUTPUT_TOKEN_LOCKOUT_S = env_float("OUTPUT_TOKEN_LOCKOUT_S", 300.0)
# How long /streams/<id>/snapshot.jpg waits for the worker's next frame before answering 503.
OUTPUT_SNAPSHOT_WAIT_S = env_float("OUTPUT_SNAPSHOT_WAIT_S", 5.0)
# The highest `fps=` an MJPEG client may ask for (the stream's own max fps caps it too).
OUTPUT_MJPEG_MAX_FPS = env_float("OUTPUT_MJPEG_MAX_FPS", 30.0)
