"""Writes on users: create one with a role, or change a user's role."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.roles import ROLE_CACHE_ATTR, Role, groups_sync


def user_set_role(*, user: AbstractUser, role: Role | str) -> None:
    """Put the user in exactly one role group. Every role may open the admin site (read-only for a viewer)."""
    role = _parse_role(role)
    if not Group.objects.filter(name=role.value).exists():
        groups_sync()
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name__in=[each.value for each in Role]))
        user.groups.add(Group.objects.get(name=role.value))
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    if hasattr(user, ROLE_CACHE_ATTR):
        delattr(user, ROLE_CACHE_ATTR)


def user_create(*, username: str, password: str, role: Role | str, email: str = "") -> AbstractUser:
    """A new user with a role; the password goes through the configured validators."""
    from django.contrib.auth.password_validation import validate_password

    role = _parse_role(role)
    users = get_user_model()
    if users.objects.filter(username=username).exists():
        raise ValidationError({"username": [f"A user named {username!r} exists already."]})
    validate_password(password)
    with transaction.atomic():
        user = users.objects.create_user(username=username, email=email, password=password)
        user_set_role(user=user, role=role)
    return user


def _parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationError({"role": [f"Unknown role {role!r}: use one of {', '.join(Role)}."]}) from None
