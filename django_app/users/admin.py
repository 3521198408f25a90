"""Admin UI for users and the outbox, staff only.

Django's admin at ``/admin/`` (``admin.site.has_permission`` admits active staff users).
``UserAdmin`` is Django's own, adapted to the custom model: no first/last name, the
UUID/timestamp fields read-only, and forms bound to ``users.User`` so the hasher, the
"change password" page (``AdminPasswordChangeForm``) and the case-insensitive uniqueness
checks all work. The outbox is read-only: rows come from the ``user_registered`` task.
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from users import services
from users.models import OutboxEmail, User


class UserCreationForm(auth_forms.AdminUserCreationForm):
    """Django's admin "add user" form (password twice, hashed) for the custom model."""

    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class UserChangeForm(auth_forms.UserChangeForm):
    """Django's change form (the hash is shown read-only, linked to the password page)."""

    class Meta(auth_forms.UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("id", "username", "email", "password")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("id", "last_login", "created_at", "updated_at")
    list_display = ("username", "email", "is_staff", "is_active", "created_at")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("username", "email")
    ordering = ("username",)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:  # a user added here is welcomed like one registered through the API
            services.announce_registration(obj)


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The outbox, read-only: rows are written by the ``user_registered`` receiver."""

    list_display = ("to_email", "subject", "user", "created_at")
    list_select_related = ("user",)
    search_fields = ("to_email", "subject")
    ordering = ("-created_at",)
    readonly_fields = ("id", "user", "to_email", "subject", "body", "created_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
