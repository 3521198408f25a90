"""HTTP handlers for /api/v1/items: CRUD, export, attachments, a blocking call.

Litestar controllers on top of ``ItemService``: handlers parse and render, the service holds
every rule. Dependencies are declared per layer: the items router provides ``page_size``
(from settings), the controllers provide ``items_service`` and ``user``, and
``items_export`` overrides ``page_size`` with its chunk size (one layered override).

Cache-Control is layered natively: app ``no-store`` (config/asgi.py), controller
``private, max-age=0``, ``items_retrieve`` ``private, max-age=60``, ``items_export``
``no-cache``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, MediaType, Request, Response, delete, get, patch, post, put
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.openapi import ResponseSpec
from litestar.params import (
    Body,
    FromPath,
    HeaderParameter,
    JSONBody,
    QueryParameter,
    SkipValidation,
)
from litestar.response import File, Stream
from litestar.status_codes import (
    HTTP_201_CREATED,
    HTTP_204_NO_CONTENT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
)
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import problem_responses
from common.pagination import LimitOffset, provide_limit_offset
from compat.headers import CacheControl
from compat.routing import head_twin
from compat.validation import require_media_type
from items.dtos import ItemReadDTO
from items.models import Item
from items.schemas import (
    BLOCKING_MS_MAX,
    PRICE_PATTERN,
    AttachmentList,
    AttachmentRead,
    AttachmentUpload,
    BlockingResult,
    ItemCreate,
    ItemPage,
    ItemPatch,
    ItemRead,
    ItemUpdate,
    Ordering,
    body_error,
)
from items.services import EXPORT_CHUNK_SIZE, ItemFilters, ItemService
from users.auth import AUTH_SAFE, AUTH_UNSAFE
from users.models import User
from users.permissions import AUTHENTICATED, current_user

logger = logging.getLogger("items")

TAGS = ["items"]
# Files per upload request (Django's DATA_UPLOAD_MAX_NUMBER_FILES default).
UPLOAD_MAX_FILES = 100
JSON_MAX_BYTES = 1024 * 1024
UPLOAD_MAX_REQUEST_BYTES = 6 * 1024 * 1024


COMMON_ERRORS = {401: "Not authenticated.", 404: "Item not found."}
BODY_ERRORS = {413: "Body over 1 MiB.", 415: "Not a JSON body."}
CSRF_ERROR = {403: "Forbidden (CSRF token missing, for session-authenticated requests)."}


async def provide_items_service(
    db_session: NamedDependency[AsyncSession], user: NamedDependency[User], state: State
) -> ItemService:
    """The request's ``ItemService``: the caller, the request's session, the upload dir."""
    return ItemService(session=db_session, user=user, upload_dir=state.settings.upload_dir)


async def provide_export_chunk_size() -> int:
    return EXPORT_CHUNK_SIZE


class ItemsController(Controller):
    """What every items view shares: auth, the service, layered Cache-Control."""

    # JSON bodies: over 1 MiB is a 413 (the uploads' controller allows more).
    request_max_body_size = JSON_MAX_BYTES
    guards = list(AUTHENTICATED)  # noqa: RUF012
    # Layer 2 (the "router/controller" layer): every items response unless a handler says.
    cache_control = CacheControl(private=True, max_age=0)
    tags = TAGS
    dependencies = {  # noqa: RUF012
        "user": Provide(current_user),
        "items_service": Provide(provide_items_service),
    }


class ItemController(ItemsController):
    """Items CRUD plus the NDJSON export and the blocking call."""

    path = "/items"

    @get(
        "/",
        operation_id="items_list",
        security=AUTH_SAFE,
        dependencies={"page": Provide(provide_limit_offset)},
        summary="List items",
        responses=problem_responses(
            {400: "Invalid query.", 401: "Not authenticated.", 403: "Forbidden."}
        ),
    )
    async def list_items(
        self,
        items_service: NamedDependency[ItemService],
        page: NamedDependency[SkipValidation[LimitOffset]],
        # NUL is refused like in bodies (PostgreSQL cannot store or compare it: a 500 otherwise).
        q: Annotated[
            str | None, QueryParameter(min_length=1, max_length=100, pattern=r"^[^\x00]*$")
        ] = None,
        min_price: Annotated[str | None, QueryParameter(pattern=PRICE_PATTERN)] = None,
        max_price: Annotated[str | None, QueryParameter(pattern=PRICE_PATTERN)] = None,
        owner: Annotated[UUID | None, QueryParameter()] = None,
        ordering: Annotated[Ordering, QueryParameter()] = "created_at",
    ) -> ItemPage:
        filters = ItemFilters(
            q=q,
            min_price=Decimal(min_price) if min_price is not None else None,
            max_price=Decimal(max_price) if max_price is not None else None,
            owner=owner,
            ordering=ordering,
        )
        items, total = await items_service.list_items(filters, page)
        return ItemPage(
            items=[ItemRead.from_model(item) for item in items],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    @post(
        "/",
        operation_id="items_create",
        return_dto=ItemReadDTO,
        media_type=MediaType.JSON,  # with a DTO, Response[...] is documented without one
        security=AUTH_UNSAFE,
        summary="Create an item",
        status_code=HTTP_201_CREATED,
        responses={
            **problem_responses({400: "Invalid body.", 401: "Not authenticated.", **CSRF_ERROR}),
            **problem_responses({409: "Conflict.", **BODY_ERRORS}),
        },
    )
    async def create_item(
        self,
        request: Request[Any, Any, Any],
        items_service: NamedDependency[ItemService],
        data: JSONBody[ItemCreate],
        x_request_id: Annotated[str | None, HeaderParameter(name="X-Request-ID")] = None,
    ) -> Response[Item]:
        item = await items_service.create_item(data.to_values())
        # The X-Request-ID header as sent by the client (the hook validates its own copy).
        logger.info("item created id=%s x_request_id=%s", item.id, x_request_id)
        location = request.url_for("items_retrieve", item_id=str(item.id))
        return Response(item, status_code=HTTP_201_CREATED, headers={"Location": location})

    @get(
        "/{item_id:str}",
        name="items_retrieve",
        operation_id="items_retrieve",
        return_dto=ItemReadDTO,
        security=AUTH_SAFE,
        summary="Retrieve an item",
        cache_control=CacheControl(private=True, max_age=60),
        responses=problem_responses({400: "Invalid id.", **COMMON_ERRORS}),
    )
    async def retrieve_item(
        self, items_service: NamedDependency[ItemService], item_id: FromPath[UUID]
    ) -> Item:
        return await items_service.get_item(item_id)

    @put(
        "/{item_id:str}",
        operation_id="items_update",
        return_dto=ItemReadDTO,
        security=AUTH_UNSAFE,
        summary="Replace an item",
        responses=problem_responses({400: "Invalid body.", **COMMON_ERRORS, **BODY_ERRORS}),
    )
    async def update_item(
        self,
        items_service: NamedDependency[ItemService],
        item_id: FromPath[UUID],
        data: JSONBody[ItemUpdate],
    ) -> Item:
        return await items_service.update_item(item_id, data.to_values())

    @patch(
        "/{item_id:str}",
        operation_id="items_partial_update",
        return_dto=ItemReadDTO,
        security=AUTH_UNSAFE,
        summary="Update some fields of an item",
        responses=problem_responses({400: "Invalid body.", **COMMON_ERRORS, **BODY_ERRORS}),
    )
    async def partial_update_item(
        self,
        items_service: NamedDependency[ItemService],
        item_id: FromPath[UUID],
        data: JSONBody[ItemPatch],
    ) -> Item:
        return await items_service.update_item(item_id, data.to_values())

    @delete(
        "/{item_id:str}",
        operation_id="items_destroy",
        security=AUTH_UNSAFE,
        summary="Delete an item",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses({400: "Invalid id.", **COMMON_ERRORS}),
    )
    async def destroy_item(
        self, items_service: NamedDependency[ItemService], item_id: FromPath[UUID]
    ) -> None:
        await items_service.delete_item(item_id)

    @get(
        "/export",
        operation_id="items_export",
        security=AUTH_SAFE,
        summary="Export items as NDJSON",
        cache_control=CacheControl(no_cache=True),
        # The layered override: this handler's page size is the export chunk size.
        dependencies={"page_size": Provide(provide_export_chunk_size)},
        media_type="application/x-ndjson",
        responses={
            200: ResponseSpec(
                data_container=str,
                media_type="application/x-ndjson",
                description="One Item JSON document per line.",
            ),
            **problem_responses({401: "Not authenticated."}),
        },
    )
    async def export_items(
        self, items_service: NamedDependency[ItemService], page_size: NamedDependency[int]
    ) -> Stream:
        async def lines() -> AsyncIterator[bytes]:
            # An async generator: the rows come from the database page_size at a time.
            async for item in items_service.export(chunk_size=page_size):
                yield msgspec.json.encode(ItemRead.from_model(item)) + b"\n"

        return Stream(lines(), media_type="application/x-ndjson")

    @get(
        "/blocking",
        operation_id="items_blocking",
        security=AUTH_SAFE,
        summary="Block a worker thread for a while",
        sync_to_thread=True,
        responses=problem_responses({400: "Invalid query.", 401: "Not authenticated."}),
    )
    def blocking(
        self, ms: Annotated[int, QueryParameter(ge=1, le=BLOCKING_MS_MAX)]
    ) -> BlockingResult:
        """A deliberately blocking handler (``time.sleep``), run in a worker thread."""
        time.sleep(ms / 1000)
        return BlockingResult(slept_ms=ms)

    # HEAD twins of the GET handlers (see compat/routing.py for why they are separate).
    list_items_head = head_twin(list_items)
    retrieve_item_head = head_twin(retrieve_item)
    export_items_head = head_twin(export_items)
    blocking_head = head_twin(blocking)


def _file_size(upload: UploadFile) -> int:
    upload.file.seek(0, os.SEEK_END)
    size = upload.file.tell()
    upload.file.seek(0)
    return size


class AttachmentController(ItemsController):
    """Files attached to an item: upload (multipart), list, download."""

    path = "/items/{item_id:str}/attachments"
    request_max_body_size = UPLOAD_MAX_REQUEST_BYTES
    guards = [*ItemsController.guards, require_media_type("multipart/form-data")]  # noqa: RUF012

    @get(
        "/",
        operation_id="attachments_list",
        security=AUTH_SAFE,
        summary="List an item's attachments",
        responses=problem_responses({400: "Invalid id.", **COMMON_ERRORS}),
    )
    async def list_attachments(
        self,
        request: Request[Any, Any, Any],
        items_service: NamedDependency[ItemService],
        item_id: FromPath[UUID],
    ) -> AttachmentList:
        attachments = await items_service.list_attachments(item_id)
        return AttachmentList(items=[_attachment(request, a) for a in attachments])

    @post(
        "/",
        operation_id="attachments_create",
        security=AUTH_UNSAFE,
        summary="Upload attachments",
        status_code=HTTP_201_CREATED,
        responses={
            **problem_responses({400: "Invalid upload.", **COMMON_ERRORS, **CSRF_ERROR}),
            **problem_responses(
                {413: "A file is over the limit.", 415: "Not multipart/form-data."}
            ),
        },
    )
    async def create_attachments(
        self,
        request: Request[Any, Any, Any],
        items_service: NamedDependency[ItemService],
        state: State,
        item_id: FromPath[UUID],
        data: Annotated[
            AttachmentUpload,
            Body(media_type=RequestEncodingType.MULTI_PART, schema_extra={"required": ["files"]}),
        ],
    ) -> AttachmentList:
        files = data.files if isinstance(data.files, list) else [data.files]
        files = [upload for upload in files if isinstance(upload, UploadFile)]
        if not files:
            raise body_error("files", "At least one file.")
        if len(files) > UPLOAD_MAX_FILES:
            raise body_error("files", f"At most {UPLOAD_MAX_FILES} files per request.")
        limit = state.settings.upload_max_bytes
        if any(_file_size(upload) > limit for upload in files):
            raise HTTPException(
                status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                detail=f"Each file must be at most {limit} bytes.",
            )
        attachments = await items_service.add_attachments(item_id, list(files))
        return AttachmentList(items=[_attachment(request, a) for a in attachments])

    @get(
        "/{attachment_id:str}",
        name="attachments_download",
        operation_id="attachments_download",
        security=AUTH_SAFE,
        summary="Download an attachment",
        media_type="application/octet-stream",
        responses={
            200: ResponseSpec(
                data_container=bytes,
                media_type="application/octet-stream",
                description="The stored file.",
            ),
            **problem_responses({400: "Invalid id.", **COMMON_ERRORS}),
        },
    )
    async def download_attachment(
        self,
        items_service: NamedDependency[ItemService],
        item_id: FromPath[UUID],
        attachment_id: FromPath[UUID],
    ) -> File:
        attachment, path = await items_service.open_attachment(item_id, attachment_id)
        return File(
            path=path,
            filename=attachment.filename,
            media_type=attachment.content_type,
            # The stored type as uploaded: Litestar would append "; charset=utf-8" to text/*
            # types, an encoding nobody checked (Django's FileResponse sends the type as is).
            headers={"content-type": attachment.content_type},
            content_disposition_type="attachment",
        )

    list_attachments_head = head_twin(list_attachments)
    download_attachment_head = head_twin(download_attachment)


def _attachment(request: Request[Any, Any, Any], attachment: Any) -> AttachmentRead:
    url = request.url_for(
        "attachments_download", item_id=str(attachment.item_id), attachment_id=str(attachment.id)
    )
    return AttachmentRead.from_model(attachment, url)
