"""ItemService: visibility, filters, ordering, paging, owner rule, attachments, conflicts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import pytest
from advanced_alchemy.exceptions import IntegrityError
from litestar.datastructures import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from common.errors import NotFoundError, PermissionDeniedError
from common.pagination import LimitOffset
from config.settings import Settings
from items.services import ItemFields, ItemFilters, ItemService, sanitize_filename
from users.models import User

pytestmark = pytest.mark.anyio

PAGE = LimitOffset(limit=20, offset=0)
ServiceOf = Callable[[User], ItemService]


@pytest.fixture
async def session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the test's database (its tables come from the ``settings`` fixture)."""
    engine = create_async_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as db_session:
        yield db_session
    await engine.dispose()


@pytest.fixture
def service_of(session: AsyncSession, upload_dir: Path) -> ServiceOf:
    """``service_of(user)``: the user's ``ItemService`` on the test's session."""
    return lambda user: ItemService(session=session, user=user, upload_dir=upload_dir)


async def make_items(service: ItemService, *names_prices: tuple[str, str]) -> None:
    for name, price in names_prices:
        await service.create_item(ItemFields(name=name, price=Decimal(price), description=None))


async def test_users_see_only_their_items_staff_see_all(
    alice: User, bob: User, staff: User, service_of: ServiceOf
) -> None:
    await make_items(service_of(alice), ("a1", "1.00"), ("a2", "2.00"))
    await make_items(service_of(bob), ("b1", "3.00"))

    assert (await service_of(alice).list_items(ItemFilters(), PAGE))[1] == 2
    assert (await service_of(bob).list_items(ItemFilters(), PAGE))[1] == 1
    assert (await service_of(staff).list_items(ItemFilters(), PAGE))[1] == 3


async def test_another_users_item_is_not_found(
    alice: User, bob: User, staff: User, service_of: ServiceOf
) -> None:
    item = await service_of(alice).create_item(
        ItemFields(name="x", price=Decimal("1"), description=None)
    )

    with pytest.raises(NotFoundError):
        await service_of(bob).get_item(item.id)
    with pytest.raises(NotFoundError):
        await service_of(bob).delete_item(item.id)
    assert (await service_of(staff).get_item(item.id)).id == item.id


async def test_filters_ordering_and_paging(alice: User, service_of: ServiceOf) -> None:
    await make_items(
        service_of(alice), ("Banana", "3.00"), ("apple", "1.50"), ("Cherry", "2.00"), ("b2", "2.00")
    )
    service = service_of(alice)

    items, total = await service.list_items(ItemFilters(q="AN", ordering="name"), PAGE)
    assert [i.name for i in items] == ["Banana"] and total == 1

    items, _ = await service.list_items(
        ItemFilters(min_price=Decimal("1.60"), max_price=Decimal("2.50"), ordering="-price"), PAGE
    )
    assert {i.name for i in items} == {"Cherry", "b2"}
    # Equal prices are ordered by id, whatever the direction of the main key.
    assert [i.id for i in items] == sorted(i.id for i in items)

    items, total = await service.list_items(ItemFilters(ordering="price"), LimitOffset(2, 1))
    assert total == 4 and len(items) == 2


async def test_owner_filter_rule(
    alice: User, bob: User, staff: User, service_of: ServiceOf
) -> None:
    await make_items(service_of(bob), ("b1", "3.00"))

    with pytest.raises(PermissionDeniedError):
        await service_of(alice).list_items(ItemFilters(owner=bob.id), PAGE)
    assert (await service_of(alice).list_items(ItemFilters(owner=alice.id), PAGE))[1] == 0
    assert (await service_of(staff).list_items(ItemFilters(owner=bob.id), PAGE))[1] == 1


async def test_database_check_constraints(alice: User, service_of: ServiceOf) -> None:
    with pytest.raises(IntegrityError):
        await service_of(alice).create_item(
            ItemFields(name="x", price=Decimal("-1"), description=None)
        )


async def test_export_is_ordered(alice: User, session: AsyncSession, service_of: ServiceOf) -> None:
    await make_items(service_of(alice), ("one", "1"), ("two", "2"), ("three", "3"))
    await session.commit()  # the export reads on a session of its own

    assert [i.name async for i in service_of(alice).export(chunk_size=2)] == ["one", "two", "three"]
    # An abandoned stream waits for garbage collection: it holds no connection meanwhile.
    assert (await anext(service_of(alice).export(chunk_size=2))).name == "one"
    assert session.bind.pool.checkedout() == 0  # type: ignore[union-attr]


async def test_attachments_are_stored_under_generated_names(
    alice: User, upload_dir: Path, service_of: ServiceOf
) -> None:
    service = service_of(alice)
    item = await service.create_item(ItemFields(name="x", price=Decimal("1"), description=None))
    upload = UploadFile(content_type="text/plain", filename="../../etc/passwd", file_data=b"root")

    [attachment] = await service.add_attachments(item.id, [upload])

    assert attachment.filename == "passwd"
    assert (upload_dir / attachment.storage_name).read_bytes() == b"root"
    stored, path = await service.open_attachment(item.id, attachment.id)
    assert stored.id == attachment.id and path.read_bytes() == b"root"


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
