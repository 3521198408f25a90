"""HTTP handlers for /api/v1/items: CRUD, export, attachments, a blocking call.

DRF viewsets on top of ``ItemService``: views parse and render, the service holds every
rule. Dependency injection is not a DRF concept: each viewset builds its service in one
place, ``get_service()`` (the Litestar twin declares ``Provide(...)`` dependencies).

Cache-Control is layered by hand: DRF has no configuration layers, so the closest idiom is
an app-wide default (``common.middleware.CacheControlMiddleware``: ``no-store``), a viewset
default (``cache_control``) and per-action overrides (``cache_control_by_action``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import (
    PayloadTooLarge,
    RequestValidationError,
    problem_responses,
)
from common.pagination import page_body
from compat.validation import MultiPartParser
from compat.views import ContractViewMixin
from items.permissions import ITEM_PERMISSIONS
from items.schemas import (
    AttachmentListSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    BlockingQuerySerializer,
    BlockingResultSerializer,
    ItemCreateSerializer,
    ItemPageSerializer,
    ItemPatchSerializer,
    ItemQuerySerializer,
    ItemSerializer,
    ItemUpdateSerializer,
)
from items.services import EXPORT_CHUNK_SIZE, ItemFilters, ItemService

logger = logging.getLogger("items")

TAGS = ["items"]


COMMON_ERRORS = {401: "Not authenticated.", 404: "Item not found."}
BODY_ERRORS = {413: "Body over 1 MiB.", 415: "Not a JSON body."}
CSRF_ERROR = {403: "Forbidden (CSRF token missing, for session-authenticated requests)."}
ITEM_ID = OpenApiParameter("item_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
ATTACHMENT_ID = OpenApiParameter("attachment_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def parse_uuid(value: str, name: str) -> UUID:
    """A path UUID: 400 with pointer ``/path/<name>`` when it is none, 404 when it is another
    spelling of one (upper case, no hyphens, braces, ``urn:uuid:``): ids are spelled one way,
    like Django's ``<uuid:>`` converter (CONTRACT "Path ids")."""
    try:
        parsed = UUID(value)
    except ValueError:
        raise RequestValidationError({name: ["Must be a valid UUID."]}, location="path") from None
    if str(parsed) != value:
        raise exceptions.NotFound()
    return parsed


class ItemsViewMixin(ContractViewMixin):
    """What every items view shares: auth, the service, layered Cache-Control."""

    # JSON bodies: the default parser (compat.validation) answers 413 over 1 MiB, 415 otherwise.
    permission_classes = ITEM_PERMISSIONS
    # Layer 2 (the "router/controller" layer): every items response unless a handler says.
    cache_control = "private, max-age=0"
    # Layer 3 (handlers).
    cache_control_by_action: dict[str, str] = {}  # noqa: RUF012 (read-only class data)

    def get_service(self) -> ItemService:
        """The one place a view gets its service (DRF has no dependency injection)."""
        return ItemService(self.request.user)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if 200 <= response.status_code < 400 and "Cache-Control" not in response:
            action_name = getattr(self, "action", None) or ""
            response["Cache-Control"] = self.cache_control_by_action.get(
                action_name, self.cache_control
            )
        return response


@extend_schema(tags=TAGS)
class ItemViewSet(ItemsViewMixin, viewsets.ViewSet):
    """Items CRUD plus the NDJSON export and the blocking call."""

    lookup_field = "item_id"
    lookup_value_regex = "[^/]+"  # malformed ids reach the view: 400, not 404
    cache_control_by_action = {  # noqa: RUF012
        "retrieve": "private, max-age=60",
        "export": "no-cache",
    }

    @extend_schema(
        operation_id="items_list",
        summary="List items",
        parameters=[ItemQuerySerializer],
        responses={
            200: ItemPageSerializer,
            **problem_responses(
                {400: "Invalid query.", 401: "Not authenticated.", 403: "Forbidden."}
            ),
        },
    )
    def list(self, request: Request) -> Response:
        # A plain dict, not the QueryDict: DRF treats an empty value in form-style input as
        # "absent" for optional fields, so ``?q=`` would pass instead of failing min_length.
        query = ItemQuerySerializer(data=request.query_params.dict())
        if not query.is_valid():
            raise RequestValidationError(query.errors, location="query")
        data = query.validated_data
        page = query.limit_offset()
        filters = ItemFilters(
            q=data.get("q"),
            min_price=data.get("min_price"),
            max_price=data.get("max_price"),
            owner=data.get("owner"),
            ordering=data["ordering"],
        )
        items, total = self.get_service().list_items(filters, page)
        return Response(page_body(ItemSerializer(items, many=True).data, total, page))

    @extend_schema(
        operation_id="items_create",
        summary="Create an item",
        parameters=[OpenApiParameter("X-Request-ID", str, OpenApiParameter.HEADER, required=False)],
        request=ItemCreateSerializer,
        responses={
            201: ItemSerializer,
            **problem_responses({400: "Invalid body.", 401: "Not authenticated.", **CSRF_ERROR}),
            **problem_responses({409: "Conflict.", **BODY_ERRORS}),
        },
    )
    def create(self, request: Request) -> Response:
        serializer = ItemCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = self.get_service().create_item(serializer.validated_data)
        # The X-Request-ID header as sent by the client (the middleware validates its own copy).
        logger.info(
            "item created id=%s x_request_id=%s", item.id, request.headers.get("X-Request-ID")
        )
        location = request.build_absolute_uri(reverse("items-detail", kwargs={"item_id": item.id}))
        return Response(
            ItemSerializer(item).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    @extend_schema(
        operation_id="items_retrieve",
        summary="Retrieve an item",
        parameters=[ITEM_ID],
        responses={200: ItemSerializer, **problem_responses({400: "Invalid id.", **COMMON_ERRORS})},
    )
    def retrieve(self, request: Request, item_id: str) -> Response:
        item = self.get_service().get_item(parse_uuid(item_id, "item_id"))
        return Response(ItemSerializer(item).data)

    @extend_schema(
        operation_id="items_update",
        summary="Replace an item",
        parameters=[ITEM_ID],
        request=ItemUpdateSerializer,
        responses={
            200: ItemSerializer,
            **problem_responses({400: "Invalid body.", **COMMON_ERRORS, **BODY_ERRORS}),
        },
    )
    def update(self, request: Request, item_id: str) -> Response:
        return self._write(request, item_id, partial=False)

    @extend_schema(
        operation_id="items_partial_update",
        summary="Update some fields of an item",
        parameters=[ITEM_ID],
        request=ItemPatchSerializer,
        responses={
            200: ItemSerializer,
            **problem_responses({400: "Invalid body.", **COMMON_ERRORS, **BODY_ERRORS}),
        },
    )
    def partial_update(self, request: Request, item_id: str) -> Response:
        return self._write(request, item_id, partial=True)

    def _write(self, request: Request, item_id: str, *, partial: bool) -> Response:
        pk = parse_uuid(item_id, "item_id")
        serializer = ItemUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        item = self.get_service().update_item(pk, serializer.validated_data)
        return Response(ItemSerializer(item).data)

    @extend_schema(
        operation_id="items_destroy",
        summary="Delete an item",
        parameters=[ITEM_ID],
        responses={204: None, **problem_responses({400: "Invalid id.", **COMMON_ERRORS})},
    )
    def destroy(self, request: Request, item_id: str) -> Response:
        self.get_service().delete_item(parse_uuid(item_id, "item_id"))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="items_export",
        summary="Export items as NDJSON",
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR, description="One Item JSON document per line."
            ),
            **problem_responses({401: "Not authenticated."}),
        },
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request: Request) -> StreamingHttpResponse:
        items = self.get_service().export(chunk_size=EXPORT_CHUNK_SIZE)

        async def lines() -> AsyncIterator[bytes]:
            # An async generator, so the ASGI handler streams it (rows arrive 100 at a time).
            async for item in items:
                yield json.dumps(ItemSerializer(item).data, separators=(",", ":")).encode() + b"\n"

        return StreamingHttpResponse(lines(), content_type="application/x-ndjson")


@extend_schema(tags=TAGS)
class BlockingView(ItemsViewMixin, APIView):
    """A deliberately blocking handler (``time.sleep``) that must not block other requests."""

    @extend_schema(
        operation_id="items_blocking",
        summary="Block a worker thread for a while",
        parameters=[BlockingQuerySerializer],
        responses={
            200: BlockingResultSerializer,
            **problem_responses({400: "Invalid query.", 401: "Not authenticated."}),
        },
    )
    def get(self, request: Request) -> Response:
        query = BlockingQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise RequestValidationError(query.errors, location="query")
        ms = query.validated_data["ms"]
        time.sleep(ms / 1000)
        return Response({"slept_ms": ms})


_blocking_view = BlockingView.as_view()


async def blocking_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
    """Run the sync DRF view in a worker thread of its own.

    Under ASGI Django runs sync views through ``sync_to_async(thread_sensitive=True)``: one
    shared thread, so concurrent sleeps would queue. ``thread_sensitive=False`` gives each
    call its own executor thread, so N calls overlap (the Litestar twin: ``sync_to_thread``).
    """
    response: HttpResponseBase = await sync_to_async(_blocking_view, thread_sensitive=False)(
        request, *args, **kwargs
    )
    return response


# drf-spectacular and the CSRF middleware read these off the view callable.
blocking_view.cls = BlockingView  # type: ignore[attr-defined]
blocking_view.initkwargs = {}  # type: ignore[attr-defined]
blocking_view.csrf_exempt = True  # type: ignore[attr-defined]


@extend_schema(tags=TAGS)
class AttachmentViewSet(ItemsViewMixin, viewsets.ViewSet):
    """Files attached to an item: upload (multipart), list, download."""

    lookup_field = "attachment_id"
    lookup_value_regex = "[^/]+"

    def get_parsers(self) -> list[Any]:
        # Uploads are multipart; the schema generator asks with an action and no request.
        method = getattr(getattr(self, "request", None), "method", None)
        if getattr(self, "action", None) == "create" or method == "POST":
            return [MultiPartParser()]
        return super().get_parsers()

    @extend_schema(
        operation_id="attachments_list",
        summary="List an item's attachments",
        parameters=[ITEM_ID],
        responses={
            200: AttachmentListSerializer,
            **problem_responses({400: "Invalid id.", **COMMON_ERRORS}),
        },
    )
    def list(self, request: Request, item_id: str) -> Response:
        attachments = self.get_service().list_attachments(parse_uuid(item_id, "item_id"))
        context = {"request": request}
        return Response(
            {"items": AttachmentSerializer(attachments, many=True, context=context).data}
        )

    @extend_schema(
        operation_id="attachments_create",
        summary="Upload attachments",
        parameters=[ITEM_ID],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={
            201: AttachmentListSerializer,
            **problem_responses({400: "Invalid upload.", **COMMON_ERRORS, **CSRF_ERROR}),
            **problem_responses(
                {413: "A file is over the limit.", 415: "Not multipart/form-data."}
            ),
        },
    )
    def create(self, request: Request, item_id: str) -> Response:
        pk = parse_uuid(item_id, "item_id")
        service = self.get_service()
        service.get_item(pk)  # 404 before reading a body for someone else's item
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.UPLOAD_MAX_REQUEST_BYTES:
            raise PayloadTooLarge()
        # Django decodes a non-UTF-8 text part with U+FFFD; the contract refuses it (400,
        # pointer at the part) as the Litestar app does (issue 12, "no 5xx").
        undecodable = sorted(
            name
            for name, values in request.data.lists()  # type: ignore[union-attr]
            if any(isinstance(v, str) and "\ufffd" in v for v in values)
        )
        if undecodable:
            raise exceptions.ValidationError(
                {name: ["Text parts must be UTF-8."] for name in undecodable}
            )
        files = request.FILES.getlist("files")
        if not files:
            raise exceptions.ValidationError({"files": ["At least one file is required."]})
        if any((upload.size or 0) > settings.UPLOAD_MAX_BYTES for upload in files):
            raise PayloadTooLarge(f"Each file must be at most {settings.UPLOAD_MAX_BYTES} bytes.")
        attachments = service.add_attachments(pk, list(files))
        context = {"request": request}
        return Response(
            {"items": AttachmentSerializer(attachments, many=True, context=context).data},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        operation_id="attachments_download",
        summary="Download an attachment",
        parameters=[ITEM_ID, ATTACHMENT_ID],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The stored file."
            ),
            **problem_responses({400: "Invalid id.", **COMMON_ERRORS}),
        },
    )
    def retrieve(self, request: Request, item_id: str, attachment_id: str) -> FileResponse:
        attachment, content = self.get_service().open_attachment(
            parse_uuid(item_id, "item_id"), parse_uuid(attachment_id, "attachment_id")
        )
        return FileResponse(
            content,
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
