"""User model: UUID id, case-insensitive unique username and email, is_staff.

Custom from day one (swapping the user model later is painful): Django's auth machinery on
top of ``AbstractBaseUser`` + ``PermissionsMixin``, with the shared UUID/timestamp base.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower

from common.models import TimeStampedModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(
        self, username: str, email: str, password: str | None, **extra_fields: Any
    ) -> User:
        if not username:
            raise ValueError("The username must be set.")
        if not email:
            raise ValueError("The email must be set.")
        user = self.model(username=username, email=self.normalize_email(email), **extra_fields)
        user.set_password(password)  # None -> an unusable password
        user.save(using=self._db)
        return user

    def create_user(
        self, username: str, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(username, email, password, **extra_fields)

    def create_superuser(
        self, username: str, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields["is_staff"] is not True or extra_fields["is_superuser"] is not True:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create_user(username, email, password, **extra_fields)

    def get_by_natural_key(self, username: str | None) -> User:
        # Log-in by username ignores case, matching the unique index on lower(username).
        # A name longer than the column holds no user: no query (on SQLite, ``iexact`` is a
        # LIKE, refused past 50,000 bytes: "LIKE or GLOB pattern too complex", a 503).
        if username is None or len(username) > self.model.USERNAME_MAX_LENGTH:
            raise self.model.DoesNotExist
        return self.get(username__iexact=username)


class User(AbstractBaseUser, PermissionsMixin, TimeStampedModel):
    """An account; ``password`` holds a KDF hash, never the raw password."""

    USERNAME_MAX_LENGTH = 150
    username = models.CharField(max_length=USERNAME_MAX_LENGTH)
    email = models.EmailField(max_length=254)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["email"]

    class Meta:
        constraints = (
            # Case-insensitive uniqueness lives in the database, not only in validation.
            models.UniqueConstraint(Lower("username"), name="users_user_username_ci_uniq"),
            models.UniqueConstraint(Lower("email"), name="users_user_email_ci_uniq"),
        )

    def __str__(self) -> str:
        return self.username


class OutboxEmail(TimeStampedModel):
    """An email waiting to be sent (written by a background task, read by the user)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="emails")
    to_email = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    # Set by the delivery job (users.tasks) once the message is handed to the mail transport;
    # a row without it is still owed (the job is retried, delivers at most once per row).
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.subject
