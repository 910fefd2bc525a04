from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    """Users and their roles; imports no other app of the project."""

    name = "accounts"

    def ready(self) -> None:
        post_migrate.connect(_sync_role_groups, dispatch_uid="accounts-sync-role-groups")


def _sync_role_groups(sender, using: str = "default", **kwargs) -> None:  # noqa: ANN001 - signal API
    from accounts.roles import groups_sync

    # After each app's permissions exist (auth creates them on the same signal, earlier): models added later
    # get their permissions into the role groups at the next migrate.
    groups_sync()
