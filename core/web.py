"""What every app's pages share: a service's refusal shown on a form, and where a form goes next."""

from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def form_add_errors(form: Form, error: ValidationError) -> None:
    """Show a service's refusal on the form; errors about fields the form lacks go to the top of it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def redirect_next(request: HttpRequest, default: str) -> HttpResponse:
    """To the page the form came from (`next`), if it is on this site; else to `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = {request.get_host()}
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts=allowed, require_https=request.is_secure())
    return redirect(target if safe else default)
