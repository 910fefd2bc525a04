"""Accounts made before roles existed get one, so an upgrade locks nobody out: superusers admin, staff operator,
everyone else viewer. A user already in a role group keeps it; users made later get theirs when they are made."""

from django.conf import settings
from django.db import migrations

ROLES = ("viewer", "operator", "admin")  # accounts.roles.Role, frozen here as migrations must be


def roles_for_existing_users(apps, schema_editor) -> None:  # noqa: ANN001 - migration API
    user_model = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    group_model = apps.get_model("auth", "Group")
    groups = {name: group_model.objects.get_or_create(name=name)[0] for name in ROLES}
    for user in user_model.objects.exclude(groups__name__in=ROLES):
        role = "admin" if user.is_superuser else "operator" if user.is_staff else "viewer"
        user.groups.add(groups[role])


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(roles_for_existing_users, migrations.RunPython.noop)]
