"""The old name of config.settings.production, kept working for this release: deployments that still say
DJANGO_SETTINGS_MODULE=dashboard.settings_production get the same settings. Use config.settings.production."""

from config.settings.production import *  # noqa: F403
