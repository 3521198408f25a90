"""Item and attachment models with database constraints.

The rules the database can enforce live in the database: a non-negative price and a
non-empty name are CHECK constraints (the same names in the Django migration and the
Alembic revision), so a row written by any code path obeys them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual

from common.models import TimeStampedModel


class ItemQuerySet(models.QuerySet["Item"]):
    """Item queries that read like the rule they apply (``Item.objects.visible_to(user)``)."""

    def visible_to(self, user: Any) -> ItemQuerySet:
        """The user's own items; staff see every item (anyone else's is "not found")."""
        if user.is_staff:
            return self.all()
        return self.filter(owner_id=user.id)


class Item(TimeStampedModel):
    """A priced thing owned by one user; private to its owner (and staff)."""

    name = models.CharField(max_length=100)
    description = models.TextField(null=True, blank=True)  # noqa: DJ001 (null is on the wire)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DB_CASCADE, related_name="items"
    )

    objects = ItemQuerySet.as_manager()

    class Meta:
        constraints = (
            models.CheckConstraint(condition=models.Q(price__gte=0), name="items_item_price_gte_0"),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("name"), 1), name="items_item_name_not_empty"
            ),
        )

    def __str__(self) -> str:
        return self.name


class Attachment(TimeStampedModel):
    """A file uploaded to an item, stored on disk under ``storage_name`` (not the client's name)."""

    item = models.ForeignKey(Item, on_delete=models.DB_CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    storage_name = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.filename
