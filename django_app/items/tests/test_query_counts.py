"""Query-count guards: every list endpoint costs the same number of queries at any page size.

A counter, not a timer: an N+1 (one query per row, e.g. a serializer touching a relation
that was not ``select_related``) makes the count grow with the rows on the page. Django's
``CaptureQueriesContext`` records each query the default connection runs for one request.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from items.models import Attachment, Item
from users.models import OutboxEmail, User

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], APIClient]

# Bearer user lookup + COUNT(*) + the page. A change here is a deliberate decision.
ITEMS_LIST_QUERIES = 3
# Bearer user lookup + the item (visibility) + its attachments.
ATTACHMENTS_LIST_QUERIES = 3
# Bearer user lookup + the emails.
EMAILS_LIST_QUERIES = 2


def add_items(owner: User, count: int) -> list[Item]:
    return Item.objects.bulk_create(
        Item(name=f"item-{n:03}", price=Decimal("1.00"), owner_id=owner.id) for n in range(count)
    )


def queries_for(client: APIClient, url: str) -> int:
    """Queries one GET runs (asserting it succeeded and returned what was asked for)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


def test_items_list_queries_do_not_grow_with_page_size(alice: User, client_for: ClientFor) -> None:
    add_items(alice, 120)
    client = client_for(alice)
    queries_for(client, "/api/v1/items?limit=1")  # warm up (first-request setup queries)

    small = queries_for(client, "/api/v1/items?limit=20")
    large = queries_for(client, "/api/v1/items?limit=100")

    assert len(client.get("/api/v1/items?limit=100").json()["items"]) == 100
    assert small == large == ITEMS_LIST_QUERIES


def test_staff_list_of_everyones_items_is_constant_too(
    alice: User, bob: User, staff: User, client_for: ClientFor
) -> None:
    add_items(alice, 60)
    add_items(bob, 60)
    client = client_for(staff)
    queries_for(client, "/api/v1/items?limit=1")

    small = queries_for(client, "/api/v1/items?limit=20&ordering=-price")
    large = queries_for(client, "/api/v1/items?limit=100&ordering=-price")

    assert small == large == ITEMS_LIST_QUERIES


def test_attachments_list_queries_do_not_grow_with_attachments(
    alice: User, client_for: ClientFor
) -> None:
    one, many = add_items(alice, 2)
    for item, count in ((one, 1), (many, 10)):
        Attachment.objects.bulk_create(
            Attachment(
                item_id=item.id,
                filename=f"f{n}.txt",
                content_type="text/plain",
                size=1,
                storage_name="x",
            )
            for n in range(count)
        )
    client = client_for(alice)
    queries_for(client, f"/api/v1/items/{one.id}/attachments")

    small = queries_for(client, f"/api/v1/items/{one.id}/attachments")
    large = queries_for(client, f"/api/v1/items/{many.id}/attachments")

    assert len(client.get(f"/api/v1/items/{many.id}/attachments").json()["items"]) == 10
    assert small == large == ATTACHMENTS_LIST_QUERIES


def test_emails_list_queries_do_not_grow_with_emails(
    alice: User, bob: User, client_for: ClientFor
) -> None:
    for user, count in ((alice, 1), (bob, 10)):
        OutboxEmail.objects.bulk_create(
            OutboxEmail(user_id=user.id, to_email=user.email, subject=f"s{n}", body="b")
            for n in range(count)
        )
    queries_for(client_for(alice), "/api/v1/users/me/emails")

    small = queries_for(client_for(alice), "/api/v1/users/me/emails")
    large = queries_for(client_for(bob), "/api/v1/users/me/emails")

    assert small == large == EMAILS_LIST_QUERIES
