"""The admin's users: created and changed with a role (the role groups are kept by accounts.roles)."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from accounts.roles import Role, user_role
from accounts.services import user_set_role

User = get_user_model()

ROLE_CHOICES = [(role.value, role.value.capitalize()) for role in Role]
ROLE_HELP = "Viewer: sees and watches everything. Operator: also starts, stops and tunes streams. Admin: everything."


class RoleCreationForm(UserCreationForm):
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=Role.VIEWER.value, help_text=ROLE_HELP)


class RoleChangeForm(UserChangeForm):
    role = forms.ChoiceField(choices=ROLE_CHOICES, help_text=ROLE_HELP)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        current = user_role(self.instance) if self.instance.pk else None
        self.fields["role"].initial = (current or Role.VIEWER).value


class RoleUserAdmin(UserAdmin):
    form = RoleChangeForm
    add_form = RoleCreationForm
    list_display = ("username", "role", "is_active", "is_superuser", "last_login")
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "role", "password1", "password2")}),)
    fieldsets = (
        (None, {"fields": ("username", "password", "role")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Access", {"fields": ("is_active", "is_superuser")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    list_filter = ("groups", "is_active", "is_superuser")

    @admin.display(description="Role")
    def role(self, obj: User) -> str:  # type: ignore[valid-type]
        return (user_role(obj) or "none").capitalize()

    def save_related(self, request, form, formsets, change) -> None:  # noqa: ANN001 - admin API
        super().save_related(request, form, formsets, change)
        user_set_role(user=form.instance, role=form.cleaned_data["role"])


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, RoleUserAdmin)
