"""Base model: UUID primary key plus created_at / updated_at."""

import uuid

from django.db import models


class TimeStampedModel(models.Model):
    """Abstract base for every table: a UUID id and audit timestamps (UTC)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
