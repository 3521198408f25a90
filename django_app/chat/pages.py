"""HTML page: the chat room (template + static ``chat.js``), outside ``/api``.

The page renders for everyone: ``chat.js`` asks ``/auth/whoami`` and shows a login form
(posting to ``/auth/login`` with the CSRF cookie) when the visitor has no session, then
talks to the chat API and websocket. Not part of the API schema.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from compat.views import ContractViewMixin
from users.auth import SessionAuthentication


@extend_schema(exclude=True)
class ChatPageView(ContractViewMixin, APIView):
    """The room named by ``?room=`` (default ``lobby``); chat.js does the rest."""

    authentication_classes = (SessionAuthentication,)
    permission_classes = (AllowAny,)

    def get(self, request: Request) -> HttpResponse:
        response = render(request._request, "chat/room.html")
        patch_cache_control(response, private=True, no_store=True)
        return response


chat_page = ChatPageView.as_view()
