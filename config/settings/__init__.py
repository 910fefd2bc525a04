"""The settings Django loads (DJANGO_SETTINGS_MODULE=config.settings): paths, Django and the shared services, then
each domain's own module. Production adds config/settings/production.py on top of these."""

from config.settings.base import *  # noqa: F403, I001
from config.settings.events import *  # noqa: F403
from config.settings.outputs import *  # noqa: F403
from config.settings.paths import *  # noqa: F403
from config.settings.streams import *  # noqa: F403
