"""Content negotiation that ignores ``Accept`` (contract #12: JSON endpoints ignore it).

DRF's ``DefaultContentNegotiation`` answers 406 when no renderer matches ``Accept`` (e.g.
``Accept: text/html`` or ``application/xml``); the contract wants the JSON body regardless,
like the Litestar app. Every API view renders JSON only, so always pick the first renderer.
Parsers are still chosen by ``Content-Type`` (DRF's own logic, 415 otherwise).
"""

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class IgnoreAcceptContentNegotiation(DefaultContentNegotiation):
    def select_renderer(  # type: ignore[override]
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, Any]:
        renderer = renderers[0]
        return renderer, renderer.media_type
