"""Logging in, throttled: the login page and the API's token endpoint (django-axes counts failed attempts per
user name and per address). A locked-out client gets 429 with Retry-After, even with the right password; the
lockout is recorded in the event log by streams.audit.record_lockout (axes' user_locked_out signal)."""

import logging
import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import PUBLIC
from core.api import BoundedJSONParser

logger = logging.getLogger(__name__)


def retry_after_s(request: HttpRequest | None = None, username: str | None = None) -> int:
    """Seconds until the lockout that concerns this user name or address ends: the cool-off counts from the
    latest failure recorded for either (tries during a lockout record none)."""
    cool_off = get_cool_off(request)
    if not cool_off:
        return 3600
    if request is None:
        return max(1, math.ceil(cool_off.total_seconds()))
    address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    latest = AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=address)).aggregate(
        at=Max("attempt_time")
    )["at"]
    ends = (latest or timezone.now()) + cool_off
    return max(1, math.ceil((ends - timezone.now()).total_seconds()))


def lockout_response(
    request: HttpRequest, original_response: object = None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After, as JSON for the API and the login page for a browser."""
    wait_s = retry_after_s(request, get_client_username(request, credentials))
    message = f"Too many failed logins. Try again in {wait_s} s."
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse({"detail": message, "retry_after_s": wait_s}, status=429)
    else:
        form = AuthenticationForm(request)
        response = render(request, "registration/login.html", {"form": form, "lockout": message}, status=429)
    response["Retry-After"] = str(wait_s)
    return response


class ThrottledTokenView(ObtainAuthToken):
    """POST username and password, get a token; throttled like the login page."""

    method_roles = {"POST": PUBLIC}
    # ObtainAuthToken names DRF's plain JSON parser; a deeply nested body must be a 400 here too.
    parser_classes = (FormParser, MultiPartParser, BoundedJSONParser)

    def post(self, request: Request, *args: object, **kwargs: object) -> Response | HttpResponse:
        credentials = {"username": request.data.get("username") if hasattr(request.data, "get") else None}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return self._locked(request, credentials)
        return super().post(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response | HttpResponse:
        """A refused password is a 400, unless that failure was the one that locked the user or address out."""
        response = super().handle_exception(exc)
        if getattr(self.request, "axes_locked_out", False):
            return self._locked(self.request, None)
        return response

    @staticmethod
    def _locked(request: Request, credentials: dict | None) -> HttpResponse:
        logger.info("Token request refused: %s from %s is locked out", get_client_username(request, credentials),
                    get_client_ip_address(request))
        return lockout_response(request._request, credentials=credentials)


class ThrottledLoginView(LoginView):
    """The login page; axes' middleware answers a locked-out attempt with `lockout_response`."""

    required_role = PUBLIC
