"""`manage.py create_user NAME --role viewer|operator|admin [--password P]`: a user with a role.

Without --password a password is generated and printed once."""

import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import Role
from accounts.services import user_create


class Command(BaseCommand):
    help = "Create a user with a role: viewer (read-only), operator (commands, live settings) or admin."

    def add_arguments(self, parser) -> None:  # noqa: ANN001 - argparse parser
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[role.value for role in Role])
        parser.add_argument("--password", default="")
        parser.add_argument("--email", default="")

    def handle(self, *args: object, **options: object) -> None:
        password = str(options["password"]) or secrets.token_urlsafe(12)
        try:
            user = user_create(
                username=str(options["username"]), password=password, role=str(options["role"]),
                email=str(options["email"]),
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        shown = "" if options["password"] else f" with password {password}"
        self.stdout.write(f"Created {options['role']} {user.get_username()}{shown}")
