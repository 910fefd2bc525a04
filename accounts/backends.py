"""Login throttling (django-axes) for web logins only."""

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes refuses locked-out users. An authenticate() call without a request (a management command,
    a test client's login) is no web login: there is nothing to throttle, so it is let through to the next
    backend instead of raising."""

    def authenticate(self, request, username=None, password=None, **kwargs):  # noqa: ANN001, ANN201 - backend API
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
