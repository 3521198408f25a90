"""ItemService: visibility, filters, ordering, paging, owner rule, attachments, conflicts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from common.errors import NotFoundError, PermissionDeniedError
from common.pagination import LimitOffset
from items.services import ItemFilters, ItemService, sanitize_filename
from users.models import User

pytestmark = pytest.mark.django_db

PAGE = LimitOffset(limit=20, offset=0)


def make_items(user: User, *names_prices: tuple[str, str]) -> None:
    service = ItemService(user)
    for name, price in names_prices:
        service.create_item({"name": name, "price": Decimal(price), "description": None})


def test_users_see_only_their_items_staff_see_all(alice: User, bob: User, staff: User) -> None:
    make_items(alice, ("a1", "1.00"), ("a2", "2.00"))
    make_items(bob, ("b1", "3.00"))

    assert ItemService(alice).list_items(ItemFilters(), PAGE)[1] == 2
    assert ItemService(bob).list_items(ItemFilters(), PAGE)[1] == 1
    assert ItemService(staff).list_items(ItemFilters(), PAGE)[1] == 3


def test_another_users_item_is_not_found(alice: User, bob: User, staff: User) -> None:
    item = ItemService(alice).create_item({"name": "x", "price": Decimal("1"), "description": None})

    with pytest.raises(NotFoundError):
        ItemService(bob).get_item(item.id)
    with pytest.raises(NotFoundError):
        ItemService(bob).delete_item(item.id)
    assert ItemService(staff).get_item(item.id) == item


def test_filters_ordering_and_paging(alice: User) -> None:
    make_items(alice, ("Banana", "3.00"), ("apple", "1.50"), ("Cherry", "2.00"), ("b2", "2.00"))
    service = ItemService(alice)

    items, total = service.list_items(ItemFilters(q="AN", ordering="name"), PAGE)
    assert [i.name for i in items] == ["Banana"] and total == 1

    items, _ = service.list_items(
        ItemFilters(min_price=Decimal("1.60"), max_price=Decimal("2.50"), ordering="-price"), PAGE
    )
    assert {i.name for i in items} == {"Cherry", "b2"}
    # Equal prices are ordered by id, whatever the direction of the main key.
    assert [i.id for i in items] == sorted(i.id for i in items)

    items, total = service.list_items(ItemFilters(ordering="price"), LimitOffset(2, 1))
    assert total == 4 and len(items) == 2


def test_owner_filter_rule(alice: User, bob: User, staff: User) -> None:
    make_items(bob, ("b1", "3.00"))

    with pytest.raises(PermissionDeniedError):
        ItemService(alice).list_items(ItemFilters(owner=bob.id), PAGE)
    assert ItemService(alice).list_items(ItemFilters(owner=alice.id), PAGE)[1] == 0
    assert ItemService(staff).list_items(ItemFilters(owner=bob.id), PAGE)[1] == 1


def test_database_check_constraints(alice: User) -> None:
    with pytest.raises(IntegrityError):
        ItemService(alice).create_item({"name": "x", "price": Decimal("-1"), "description": None})


def test_export_is_ordered(alice: User) -> None:
    make_items(alice, ("one", "1"), ("two", "2"))

    async def names() -> list[str]:
        return [i.name async for i in ItemService(alice).export(chunk_size=1)]

    assert async_to_sync(names)() == ["one", "two"]


def test_attachments_are_stored_under_generated_names(alice: User, upload_dir) -> None:
    service = ItemService(alice)
    item = service.create_item({"name": "x", "price": Decimal("1"), "description": None})

    [attachment] = service.add_attachments(
        item.id, [SimpleUploadedFile("../../etc/passwd", b"root", "text/plain")]
    )

    assert attachment.filename == "passwd"
    assert (upload_dir / attachment.storage_name).read_bytes() == b"root"
    stored, content = service.open_attachment(item.id, attachment.id)
    assert stored == attachment
    with content:
        assert content.read() == b"root"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        ("..", "file"),
        ("", "file"),
        (None, "file"),
        ("a\x00b\nc.txt", "abc.txt"),
        ("report..pdf", "report.pdf"),
    ],
)
def test_sanitize_filename(raw: str | None, expected: str) -> None:
    assert sanitize_filename(raw) == expected
