"""HTTP handlers for /api/v1/chat: rooms, a room's history, websocket tickets.

Handlers on top of ``ChatService``: they parse and render, the service holds the rules.
One Litestar controller. Authentication is the app's (``JWTSessionAuthMiddleware``: bearer
JWT, or session + CSRF for unsafe methods); the controller guard answers 401 for anonymous
callers. Paging is the shared strict ``limit``/``offset`` dependency.
"""

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, SkipValidation
from litestar.status_codes import HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from chat.schemas import MessagePage, MessageRead, RoomCreate, RoomPage, RoomRead, TicketRead
from chat.services import ChatService, issue_ticket
from common.errors import problem_responses
from common.pagination import LimitOffset, provide_limit_offset
from common.stores import TicketStore
from compat.routing import head_twin
from users.auth import AUTH_SAFE, AUTH_UNSAFE
from users.models import User
from users.permissions import AUTHENTICATED, current_user

TAGS = ["chat"]


async def provide_chat_service(
    db_session: NamedDependency[AsyncSession], user: NamedDependency[User]
) -> ChatService:
    """The request's ``ChatService``: the caller and the request's session."""
    return ChatService(session=db_session, user=user)


class ChatController(Controller):
    """Rooms, their history and websocket tickets."""

    path = "/chat"
    tags = TAGS
    # Any authenticated user (401 otherwise); OPTIONS stays open for CORS preflights.
    guards = list(AUTHENTICATED)  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "user": Provide(current_user),
        "chat_service": Provide(provide_chat_service),
        "page": Provide(provide_limit_offset),
    }
    # No cache_control here: chat answers take the app layer's ``no-store`` (live data).

    @get(
        "/rooms",
        operation_id="chat_rooms_list",
        security=AUTH_SAFE,
        summary="List chat rooms",
        description="Every room, ordered by name ascending.",
        responses=problem_responses({400: "Invalid query.", 401: "Not authenticated."}),
    )
    async def list_rooms(
        self,
        chat_service: NamedDependency[ChatService],
        page: NamedDependency[SkipValidation[LimitOffset]],
    ) -> RoomPage:
        rooms, total = await chat_service.list_rooms(page)
        return RoomPage(
            items=[RoomRead.from_model(room) for room in rooms],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    @post(
        "/rooms",
        operation_id="chat_rooms_create",
        security=AUTH_UNSAFE,
        summary="Create a chat room",
        description="Unknown body fields are ignored. A name that is taken -> 409.",
        status_code=HTTP_201_CREATED,
        responses=problem_responses(
            {
                400: "Invalid body.",
                401: "Not authenticated.",
                403: "Forbidden (CSRF token missing, for session-authenticated requests).",
                409: "A room with this name exists.",
                413: "Body over 1 MiB.",
                415: "Not a JSON body.",
            }
        ),
    )
    async def create_room(
        self,
        request: Request[Any, Any, Any],
        chat_service: NamedDependency[ChatService],
        data: JSONBody[RoomCreate],
    ) -> Response[RoomRead]:
        room = await chat_service.create_room(data.name)
        location = request.url_for("chat_messages_list", room=room.name)
        return Response(
            RoomRead.from_model(room), status_code=HTTP_201_CREATED, headers={"Location": location}
        )

    @get(
        "/rooms/{room:str}/messages",
        name="chat_messages_list",
        operation_id="chat_messages_list",
        security=AUTH_SAFE,
        summary="List a room's messages",
        description=(
            "The room's history, oldest first (newest last), ties broken by id: the same "
            "objects that were broadcast to the room's websocket subscribers."
        ),
        responses=problem_responses(
            {400: "Invalid query.", 401: "Not authenticated.", 404: "Room not found."}
        ),
    )
    async def list_messages(
        self,
        chat_service: NamedDependency[ChatService],
        page: NamedDependency[SkipValidation[LimitOffset]],
        room: FromPath[str],
    ) -> MessagePage:
        messages, total = await chat_service.list_messages(room, page)
        return MessagePage(
            items=[MessageRead.from_model(m, room=room, user=m.user.username) for m in messages],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    @post(
        "/tickets",
        operation_id="chat_tickets_create",
        security=AUTH_UNSAFE,
        summary="Create a websocket ticket",
        description=(
            "A single-use ticket for `/ws/chat/{room}?ticket=...`, bound to the caller and "
            "valid for `expires_in` seconds (WS_TICKET_TTL). Takes no body; a body is ignored."
        ),
        status_code=HTTP_201_CREATED,
        responses=problem_responses(
            {
                401: "Not authenticated.",
                403: "Forbidden (CSRF token missing, for session-authenticated requests).",
            }
        ),
    )
    async def create_ticket(
        self,
        state: State,
        user: NamedDependency[User],
        ticket_store: NamedDependency[TicketStore],
    ) -> TicketRead:
        ttl = state.settings.ws_ticket_ttl
        return TicketRead(ticket=await issue_ticket(ticket_store, user, ttl), expires_in=ttl)

    # HEAD twins of the GET handlers (see compat/routing.py for why they are separate).
    list_rooms_head = head_twin(list_rooms)
    list_messages_head = head_twin(list_messages)
