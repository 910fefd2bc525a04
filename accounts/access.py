"""Who may do what, declared where each endpoint is defined, enforced the same in pages, API and WebSockets.

- API views: `RolePermission` is the default DRF permission class. A viewset declares `action_roles`
  ({"list": Role.VIEWER, "start": Role.OPERATOR, ...}), an APIView `method_roles` ({"GET": ..., "POST": ...}).
  Undeclared: reads need a viewer, writes an admin. A refusal is 403 with a message naming the role needed.
- Pages: `@role_required(Role.X)` (outermost decorator): anonymous users go to the login page, users without
  the role get 403 with a message.
- WebSockets: a consumer declares `required_role`; `ws_allowed(scope, role)` checks it on connect.
- `PUBLIC` marks what anyone may call (the login and token endpoints).
- Templates get `role`, `can_operate` and `can_admin` (context processor `role_context`), so controls a user
  cannot use are not rendered.

`declared_role(view, method)` is what the role-matrix test reads: an endpoint must declare its role.
"""

from collections.abc import Callable
from functools import wraps
from typing import Literal

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.roles import Role, has_role, user_role

PUBLIC: Literal["public"] = "public"
Access = Role | Literal["public"]


def declared_role(view: object, method: str, action: str | None = None) -> Access | None:
    """The role a view declares for an action (viewsets) or an HTTP method; None if it declares none."""
    action_roles = getattr(view, "action_roles", None) or {}
    if action and action in action_roles:
        return action_roles[action]
    method_roles = getattr(view, "method_roles", None) or {}
    if method.upper() in method_roles:
        return method_roles[method.upper()]
    return getattr(view, "required_role", None)


def endpoint_role(callback: object, method: str) -> Access | None:
    """The role a URL pattern's callback declares for `method`: a DRF view's (per viewset action), a page's
    (`role_required`), or a class-based view's class attribute. What the role-matrix test walks."""
    if hasattr(callback, "cls"):  # DRF
        action = (getattr(callback, "actions", None) or {}).get(method.lower())
        return declared_role(callback.cls, method, action)
    return declared_role(callback, method) or declared_role(getattr(callback, "view_class", None), method)


def role_needed(view: object, method: str, action: str | None = None) -> Access:
    """The declared role, else the default: reading needs a viewer, anything else an admin."""
    declared = declared_role(view, method, action)
    if declared is not None:
        return declared
    return Role.VIEWER if method.upper() in SAFE_METHODS else Role.ADMIN


def refusal(user: object, needed: Role) -> str:
    role = user_role(user)
    held = f"your role is {role}" if role else "your account has no role; ask an admin for one"
    return f"This needs the {needed} role; {held}."


class RolePermission(BasePermission):
    """The API's default permission: the role the view declares for this action or method."""

    message = "You do not have the role this needs."

    def has_permission(self, request, view) -> bool:  # noqa: ANN001 - DRF API
        needed = role_needed(view, request.method, getattr(view, "action", None))
        if needed == PUBLIC:
            return True
        if has_role(request.user, needed):
            return True
        if getattr(request.user, "is_authenticated", False):
            self.message = refusal(request.user, needed)
        return False


def role_required(role: Access) -> Callable:
    """A page needs `role` (for every method it answers). Put it outermost: it declares the page's role."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if role == PUBLIC:
                return view(request, *args, **kwargs)
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, role):
                return forbidden(request, refusal(request.user, role))
            return view(request, *args, **kwargs)

        wrapped.required_role = role
        return wrapped

    return decorate


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"detail": message}, status=403)
    return render(request, "403.html", {"message": message}, status=403)


def ws_allowed(scope: dict, role: Role) -> bool:
    """Call from a consumer's connect (off the event loop: it may read the user's groups)."""
    return has_role(scope.get("user"), role)


def role_context(request: HttpRequest) -> dict:
    """Template context: the user's role and what it allows."""
    user = getattr(request, "user", None)
    return {
        "role": user_role(user),
        "can_operate": has_role(user, Role.OPERATOR),
        "can_admin": has_role(user, Role.ADMIN),
    }
