"""Roles: viewer (sees and watches everything, changes nothing), operator (commands and live settings), admin
(everything else: create and delete streams, models, users, and what later apps add).

A role is a Django group of the same name; its permissions are derived from a rule, so models added later get
theirs at the next migrate (`groups_sync`, run after every migrate). A superuser is an admin. A user in no role
group has no role and may do nothing but log in.
"""

from collections.abc import Iterable
from enum import StrEnum

from django.contrib.auth.models import Group, Permission

ROLE_CACHE_ATTR = "_streamvision_role"


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self) + 1

    def covers(self, other: "Role") -> bool:
        """An operator may do what a viewer may; an admin what both may."""
        return self.rank >= other.rank


# Permissions an operator gets on top of viewing: an app opts a permission in by naming it "operate_<model>".
OPERATOR_PREFIXES = ("view_", "operate_")


def _role_allows(role: Role, permission: Permission) -> bool:
    if role is Role.ADMIN:
        return True
    prefixes = OPERATOR_PREFIXES if role is Role.OPERATOR else ("view_",)
    return permission.codename.startswith(prefixes)


def user_role(user: object) -> Role | None:
    """The user's role (the highest if several groups), or None for anonymous users and users in no role."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    cached = getattr(user, ROLE_CACHE_ATTR, "unset")
    if cached != "unset":
        return cached
    names = set(user.groups.filter(name__in=[role.value for role in Role]).values_list("name", flat=True))
    role = max((Role(name) for name in names), key=lambda each: each.rank, default=None)
    setattr(user, ROLE_CACHE_ATTR, role)
    return role


def has_role(user: object, needed: Role) -> bool:
    role = user_role(user)
    return role is not None and role.covers(needed)


def groups_sync(permissions: Iterable[Permission] | None = None) -> None:
    """Create the three role groups and give each exactly the permissions its rule allows."""
    every = list(Permission.objects.all() if permissions is None else permissions)
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set([permission for permission in every if _role_allows(role, permission)])
