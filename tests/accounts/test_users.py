"""Users get a role from a management command or the admin; each role group holds the permissions its rule
gives, models added later included; `make run`'s admin user is an admin."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command

from accounts.roles import Role, groups_sync, user_role
from tests.adminforms import admin_form_data

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_the_command_creates_a_user_with_a_role_and_refuses_bad_input(capsys):
    """GIVEN `manage.py create_user` WHEN run with a role and a password THEN the user exists, may log in, has
    that role and opens the admin; an unknown role, a name taken or a short password is refused."""
    call_command("create_user", "alice", "--role", "operator", "--password", "long-enough-1")
    alice = User.objects.get(username="alice")
    assert user_role(alice) == Role.OPERATOR and alice.is_staff and alice.check_password("long-enough-1")
    call_command("create_user", "bob", "--role", "viewer")
    assert "with password" in capsys.readouterr().out  # generated and shown once
    with pytest.raises(CommandError):
        call_command("create_user", "alice", "--role", "viewer", "--password", "long-enough-1")
    with pytest.raises(CommandError):
        call_command("create_user", "carol", "--role", "viewer", "--password", "short")
    with pytest.raises((CommandError, SystemExit)):
        call_command("create_user", "dave", "--role", "root", "--password", "long-enough-1")
    assert not User.objects.filter(username__in=["carol", "dave"]).exists()


def test_the_admin_adds_a_user_with_a_role_and_changes_it(admin_client):
    """GIVEN the admin's add-user form WHEN a user is added as a viewer THEN it has that role; WHEN its change
    form is saved with the operator role THEN it is an operator and no longer a viewer."""
    response = admin_client.post("/admin/auth/user/add/", {
        "username": "erin", "role": "viewer", "password1": "long-enough-1", "password2": "long-enough-1",
    })
    assert response.status_code == 302, response.content.decode()[:1500]
    erin = User.objects.get(username="erin")
    assert user_role(erin) == Role.VIEWER
    page = admin_client.get(f"/admin/auth/user/{erin.pk}/change/")
    saved = admin_client.post(f"/admin/auth/user/{erin.pk}/change/", admin_form_data(page, role="operator"))
    assert saved.status_code == 302
    erin = User.objects.get(pk=erin.pk)
    assert user_role(erin) == Role.OPERATOR
    assert list(erin.groups.values_list("name", flat=True)) == ["operator"]


def test_role_groups_get_their_permissions_for_models_added_later():
    """GIVEN a model added later (its permissions appear at the next migrate) WHEN the role groups are synced
    THEN viewers may only view it, operators also operate it, admins may do everything with it."""
    content_type = ContentType.objects.get_or_create(app_label="later", model="zone")[0]
    for codename in ("view_zone", "operate_zone", "add_zone", "delete_zone"):
        Permission.objects.create(codename=codename, name=codename, content_type=content_type)
    groups_sync()

    def held(role: str) -> set[str]:
        return set(Group.objects.get(name=role).permissions.filter(content_type=content_type)
                   .values_list("codename", flat=True))

    assert held("viewer") == {"view_zone"}
    assert held("operator") == {"view_zone", "operate_zone"}
    assert held("admin") == {"view_zone", "operate_zone", "add_zone", "delete_zone"}
    assert Group.objects.get(name="operator").permissions.filter(codename="operate_stream").exists()
    assert not Group.objects.get(name="viewer").permissions.exclude(codename__startswith="view_").exists()


def test_make_runs_admin_user_is_an_admin():
    """GIVEN bootstrap's admin user WHEN created THEN it is in the admin role."""
    from dashboard.management.commands.bootstrap import Command

    assert Command._ensure_admin("boss", "long-enough-1") == "long-enough-1"
    boss = User.objects.get(username="boss")
    assert user_role(boss) == Role.ADMIN and boss.groups.filter(name="admin").exists()
