"""HTTP handlers for /api/v1/chat: rooms, a room's history, websocket tickets.

Handlers on top of ``ChatService``: they parse and render, the service holds the rules.
DRF views, one per path. Authentication is the project default (bearer JWT, or session +
CSRF on writes); paging is the shared strict ``limit``/``offset`` serializer.
"""

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.schemas import (
    MessagePageSerializer,
    MessageSerializer,
    PageQuerySerializer,
    RoomCreateSerializer,
    RoomPageSerializer,
    RoomSerializer,
    TicketSerializer,
)
from chat.services import ChatService, issue_ticket
from common.errors import (
    RequestValidationError,
    problem_responses,
)
from common.pagination import LimitOffset, page_body
from compat.views import ContractViewMixin

TAGS = ["chat"]
ROOM = OpenApiParameter("room", OpenApiTypes.STR, OpenApiParameter.PATH)


def parse_page(request: Request) -> LimitOffset:
    """``?limit=&offset=``, or 400 with pointer ``/query/<name>``."""
    # A plain dict, not the QueryDict (see items.api: empty values must fail, not vanish).
    query = PageQuerySerializer(data=request.query_params.dict())
    if not query.is_valid():
        raise RequestValidationError(query.errors, location="query")
    return query.limit_offset()


class ChatViewMixin(ContractViewMixin):
    """What every chat view shares: the service."""

    def get_service(self) -> ChatService:
        """The one place a view gets its service (DRF has no dependency injection)."""
        return ChatService(self.request.user)


class RoomListView(ChatViewMixin, APIView):
    """Rooms: list (by name) and create."""

    @extend_schema(
        operation_id="chat_rooms_list",
        tags=TAGS,
        summary="List chat rooms",
        description="Every room, ordered by name ascending.",
        parameters=[PageQuerySerializer],
        responses={
            200: RoomPageSerializer,
            **problem_responses({400: "Invalid query.", 401: "Not authenticated."}),
        },
    )
    def get(self, request: Request) -> Response:
        page = parse_page(request)
        rooms, total = self.get_service().list_rooms(page)
        return Response(page_body(RoomSerializer(rooms, many=True).data, total, page))

    @extend_schema(
        operation_id="chat_rooms_create",
        tags=TAGS,
        summary="Create a chat room",
        description="Unknown body fields are ignored. A name that is taken -> 409.",
        request=RoomCreateSerializer,
        responses={
            201: RoomSerializer,
            **problem_responses({400: "Invalid body.", 401: "Not authenticated."}),
            **problem_responses(
                {403: "Forbidden (CSRF token missing, for session-authenticated requests)."}
            ),
            **problem_responses({409: "A room with this name exists.", 413: "Body over 1 MiB."}),
            **problem_responses({415: "Not a JSON body."}),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = RoomCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        room = self.get_service().create_room(serializer.validated_data["name"])
        location = request.build_absolute_uri(reverse("chat-messages", kwargs={"room": room.name}))
        return Response(
            RoomSerializer(room).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class MessageListView(ChatViewMixin, APIView):
    """A room's history, newest last."""

    @extend_schema(
        operation_id="chat_messages_list",
        tags=TAGS,
        summary="List a room's messages",
        description=(
            "The room's history, oldest first (newest last), ties broken by id: the same "
            "objects that were broadcast to the room's websocket subscribers."
        ),
        parameters=[ROOM, PageQuerySerializer],
        responses={
            200: MessagePageSerializer,
            **problem_responses(
                {400: "Invalid query.", 401: "Not authenticated.", 404: "Room not found."}
            ),
        },
    )
    def get(self, request: Request, room: str) -> Response:
        page = parse_page(request)
        messages, total = self.get_service().list_messages(room, page)
        return Response(page_body(MessageSerializer(messages, many=True).data, total, page))


class TicketView(ChatViewMixin, APIView):
    """Single-use websocket tickets for the authenticated user."""

    @extend_schema(
        operation_id="chat_tickets_create",
        tags=TAGS,
        summary="Create a websocket ticket",
        description=(
            "A single-use ticket for `/ws/chat/{room}?ticket=...`, bound to the caller and "
            "valid for `expires_in` seconds (WS_TICKET_TTL). Takes no body; a body is ignored."
        ),
        request=None,
        responses={
            201: TicketSerializer,
            **problem_responses(
                {
                    401: "Not authenticated.",
                    403: "Forbidden (CSRF token missing, for session-authenticated requests).",
                }
            ),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The body is never read: no body, an empty object or anything else is ignored.
        ticket = issue_ticket(request.user)
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)
