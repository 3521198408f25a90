"""Contract shims for the framework's pub/sub (chat broadcasts).

A Channels in-memory layer that reports what it drops.

"Chat never drops silently" (v2, issue 13): ``InMemoryChannelLayer.group_send`` swallows
``ChannelFull``, so a connection whose channel is full (``capacity`` messages waiting) loses
broadcasts and nobody knows; and it sends through one task per member, which a sender's
timeout leaves running (the broadcast is delivered after the sender heard ``unavailable``).
``ReportingInMemoryChannelLayer`` counts the drops per channel; the chat consumer asks for
them (``take_dropped``) and sends its client a ``lagging`` error frame, as the Litestar app
does from its subscriber's backlog. The Redis layers need no shim: ``RedisPubSubChannelLayer``
queues without a bound (the consumer's own outbox bounds it).
"""

from collections import Counter
from contextlib import suppress
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer


# contract-shim: v2 chat never drops silently (a full channel is reported, not swallowed)
class ReportingInMemoryChannelLayer(InMemoryChannelLayer):  # type: ignore[misc]
    """``InMemoryChannelLayer`` that remembers how many messages each full channel lost."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dropped: Counter[str] = Counter()

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        try:
            await super().send(channel, message)
        except ChannelFull:
            self.dropped[channel] += 1
            raise  # group_send swallows it

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """As upstream, without a task per member: every ``send`` here completes without
        suspending (``put_nowait``), so a broadcast reaches every member's channel at once
        and cannot be cut in half by the sender's timeout (upstream's tasks went on
        delivering a broadcast the sender had been told failed, and left
        "Task exception was never retrieved" errors for every full channel)."""
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, {})):
            with suppress(ChannelFull):  # counted by send(): the member gets ``lagging``
                await self.send(channel, message)

    def take_dropped(self, channel: str) -> int:
        """Messages ``channel`` lost since the last call (and forget them)."""
        return self.dropped.pop(channel, 0)

    async def flush(self) -> None:
        await super().flush()
        self.dropped.clear()
