"""Viewing tokens in the admin (admins only, as in the API): add one (its secret shown this once, in the message
after saving), revoke with the list's action. Tokens are revoked, never edited or deleted, so the record of who
made one and when it was last used stays. Writes go through outputs.services."""

from django.contrib import admin, messages
from django.http import HttpRequest

from accounts.roles import Role, has_role
from outputs import services
from outputs.models import ViewingToken


@admin.register(ViewingToken)
class ViewingTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "stream", "shown", "active", "created_by", "created_at", "last_used_at", "revoked_at")
    list_filter = ("stream", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "stream__name", "prefix")
    actions = ("revoke_selected",)
    readonly_fields = ("shown", "created_by", "created_at", "last_used_at", "revoked_at")

    def get_fields(self, request: HttpRequest, obj: ViewingToken | None = None) -> tuple[str, ...]:
        return ("stream", "name") if obj is None else ("stream", "name", *self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: ViewingToken | None = None) -> tuple[str, ...]:
        return self.readonly_fields if obj is None else ("stream", "name", *self.readonly_fields)

    @admin.display(description="token")
    def shown(self, token: ViewingToken) -> str:
        return token.shown

    @admin.display(boolean=True)
    def active(self, token: ViewingToken) -> bool:
        return token.is_active

    def save_model(self, request, obj, form, change) -> None:  # noqa: ANN001 - admin API
        if change:
            return  # nothing of a token changes but its revocation (the action)
        token, secret = services.token_create(stream=form.cleaned_data["stream"], name=form.cleaned_data["name"],
                                              created_by=request.user, actor=request.user.get_username())  # fmt: skip
        obj.pk, obj.prefix = token.pk, token.prefix
        self.message_user(request, f"Viewing token of {token.stream.name} (shown this once, copy it now): {secret}",
                          level=messages.WARNING)  # fmt: skip

    @admin.action(description="Revoke the selected viewing tokens")
    def revoke_selected(self, request, queryset) -> None:  # noqa: ANN001 - admin API
        revoked = 0
        for token in queryset.select_related("stream"):
            revoked += token.is_active
            services.token_revoke(token=token, actor=request.user.get_username())
        self.message_user(request, f"{revoked} viewing token(s) revoked.")

    # Tokens open a stream to players: an admin's, like webhooks (docs/access.md).
    def has_view_permission(self, request: HttpRequest, obj: ViewingToken | None = None) -> bool:
        return has_role(request.user, Role.ADMIN)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, Role.ADMIN)

    def has_change_permission(self, request: HttpRequest, obj: ViewingToken | None = None) -> bool:
        return has_role(request.user, Role.ADMIN)

    def has_delete_permission(self, request: HttpRequest, obj: ViewingToken | None = None) -> bool:
        return False
