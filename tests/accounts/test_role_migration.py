"""The data migration that gives accounts made before roles existed a role (accounts/migrations/0001)."""

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.roles import user_role

MIGRATION = ("accounts", "0001_roles_for_existing_users")


def _migrate(target: list[tuple[str, str | None]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_gives_every_account_without_a_role_one_and_keeps_the_roles_given():
    """GIVEN the database before the migration, with a superuser, a staff user and a plain user in no role
    group, and a staff user already made a viewer WHEN the migration runs THEN the superuser is an admin, the
    staff user an operator, the plain user a viewer, and the viewer stays a viewer."""
    _migrate([("accounts", None)])
    boss = User.objects.create_superuser("boss", password="pw-123456")
    staff = User.objects.create_user("staff", password="pw-123456", is_staff=True)
    plain = User.objects.create_user("plain", password="pw-123456")
    chosen = User.objects.create_user("chosen", password="pw-123456", is_staff=True)
    chosen.groups.add(Group.objects.get_or_create(name="viewer")[0])

    _migrate([MIGRATION])

    roles = {user.username: user_role(User.objects.get(pk=user.pk)) for user in (boss, staff, plain, chosen)}
    assert roles == {"boss": "admin", "staff": "operator", "plain": "viewer", "chosen": "viewer"}
    groups = {user.username: sorted(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))
              for user in (boss, staff, plain, chosen)}  # fmt: skip
    assert groups == {"boss": ["admin"], "staff": ["operator"], "plain": ["viewer"], "chosen": ["viewer"]}
