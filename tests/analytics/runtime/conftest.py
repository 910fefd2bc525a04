"""The analytics app's fixtures (a stored stream, the catalog's class names) serve the worker side too."""

from tests.analytics.conftest import catalog_classes_fixture, stream_fixture  # noqa: F401 - fixtures
