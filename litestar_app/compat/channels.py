"""Contract shims for the framework's pub/sub (chat broadcasts).

A ``ChannelsPlugin`` whose Redis listener survives a Redis outage, and whose subscribers
never drop a broadcast silently.

CONTRACT decision 20 (the app recovers by itself when Redis comes back; "Litestar's Redis
channels backend needs a supervisor that restarts its workers after an outage") and 28
(Redis down -> 503 / the ``unavailable`` frame, never a hang). A framework limit of
Litestar 2.x, not reported upstream as such (related: litestar-org/litestar#4784, stale
``PubSub`` state after shutdown). ``chat.plugin.ChatPlugin`` builds its ``ChannelsPlugin``
from this class; with the memory backend it is a plain ``ChannelsPlugin``.

Litestar's Redis pub/sub backend reads with one background task (the plugin's
``_sub_worker``); when the Redis connection drops, that task dies with the error and is
never restarted, so subscribers stop receiving for good. ``SupervisedChannelsPlugin`` runs
a small supervisor next to it: it notices the dead task, waits until Redis answers PING,
restarts the task (redis-py re-subscribes the pub/sub connection's channels when it
reconnects) and reconciles the Redis subscriptions with the plugin's subscribers. Existing
websocket connections keep their subscriber and receive again without reconnecting.

"Chat never drops silently" (v2, issue 13): upstream's bounded subscriber either drops the
oldest event (``dropleft``) or the newest (``backoff``, ``put_nowait`` returns False and the
plugin ignores it), silently either way. ``LaggingSubscriber`` (the plugin's
``subscriber_class``) bounds its backlog the same way but queues the plugin's ``lag_event``
(the ``lagging`` error frame) once per gap, where the events are missing; the Django twin is
its in-memory layer's drop report plus the consumer's outbox (``chat/consumers.py``).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.channels.subscriber import Subscriber

if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import TracebackType


logger = logging.getLogger("chat")

REDIS_TIMEOUT = 1.0
"""Seconds; connecting to or talking to a dead Redis fails fast."""
SUPERVISE_INTERVAL = 0.5
"""Seconds between two looks at the listener task."""


# contract-shim: v2 chat never drops silently (a full backlog queues a lagging frame)
class LaggingSubscriber(Subscriber):
    """A subscriber holding at most ``max_backlog`` events, plus one marker per gap.

    An event that finds the backlog full is dropped for this subscriber alone (a slow
    reader never holds up the others) and, once per gap, the plugin's ``lag_event`` takes
    its place, so the client learns exactly where it missed events. The queue never holds
    more than ``max_backlog + 1`` items.
    """

    def __init__(
        self, plugin: ChannelsPlugin, max_backlog: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(plugin)  # an unbounded queue: the bound is kept here
        self._limit = max_backlog or 0
        self._lag_event: bytes = getattr(plugin, "lag_event", b"")
        self._gap_open = False

    def put_nowait(self, item: bytes | None) -> bool:
        if item is None:  # the stop sentinel always gets in
            return super().put_nowait(None)
        if not self._limit or self.qsize < self._limit:
            self._gap_open = False
            return super().put_nowait(item)
        if not self._gap_open and self._lag_event:
            self._gap_open = True
            super().put_nowait(self._lag_event)
        return False


# contract-shim: 20 (faults: fan-out recovers after a Redis outage without a restart)
class SupervisedChannelsPlugin(ChannelsPlugin):
    """``ChannelsPlugin`` whose Redis listener is restarted after an outage."""

    def __init__(
        self,
        backend: RedisChannelsPubSubBackend | MemoryChannelsBackend,
        *,
        lag_event: bytes = b"",
        **kwargs: Any,
    ) -> None:
        super().__init__(backend, subscriber_class=LaggingSubscriber, **kwargs)
        self.lag_event = lag_event
        """What a subscriber queues where it had to drop events (see ``LaggingSubscriber``)."""
        self._supervisor: asyncio.Task[None] | None = None

    @property
    def listening(self) -> bool:
        """Is this process receiving from the backend (the listener task alive)?

        Right after an outage Redis may accept a publish before this process has
        re-subscribed; such a message would reach nobody here, so senders check this first.
        """
        return self._sub_task is not None and not self._sub_task.done()

    async def subscribe(
        self, channels: str | Iterable[str], history: int | None = None
    ) -> Subscriber:
        """As ``ChannelsPlugin.subscribe``, but a failed backend subscribe leaves no trace.

        Upstream registers the subscriber before subscribing the backend; if Redis is down
        the call fails and the orphan would keep the channel "subscribed" in the plugin's
        books. Here the subscriber is registered, and removed again on failure.
        """
        names = [channels] if isinstance(channels, str) else list(channels)
        subscriber = await super().subscribe([])  # a bare subscriber with our backlog policy
        first = [name for name in names if not self._channels.get(name)]
        for name in names:
            self._channels.setdefault(name, set()).add(subscriber)
        try:
            if first:
                await self._backend.subscribe(first)
        except BaseException:
            for name in names:
                self._channels[name].discard(subscriber)
            raise
        return subscriber

    async def unsubscribe(
        self, subscriber: Subscriber, channels: str | Iterable[str] | None = None
    ) -> None:
        """As upstream; a Redis error is logged (the supervisor drops the stale channel)."""
        try:
            await super().unsubscribe(subscriber, channels)
        except Exception as exc:
            logger.warning("channels unsubscribe failed: %r", exc)

    async def __aenter__(self) -> ChannelsPlugin:
        await super().__aenter__()
        if isinstance(self._backend, RedisChannelsPubSubBackend):
            self._supervisor = asyncio.create_task(self._supervise(), name="channels-supervisor")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        with suppress(Exception):  # shutting down with Redis gone must not fail
            await super().__aexit__(exc_type, exc_val, exc_tb)

    async def _supervise(self) -> None:
        """Forever: restart a dead listener once Redis answers; keep subscriptions in sync."""
        while True:
            await asyncio.sleep(SUPERVISE_INTERVAL)
            try:
                async with asyncio.timeout(REDIS_TIMEOUT * 2):
                    await self._check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis still down: try again next time
                logger.debug("channels supervisor: redis unavailable: %r", exc)

    async def _check(self) -> None:
        assert isinstance(self._backend, RedisChannelsPubSubBackend)
        task = self._sub_task
        if task is None or task.done():
            if task is not None and not task.cancelled() and task.exception() is not None:
                logger.warning("channels listener died: %r", task.exception())
            self._sub_task = None
            await self._backend._redis.ping()  # raises while Redis is down
            # The pub/sub connection reconnects on its next read and re-subscribes.
            self._sub_task = asyncio.create_task(self._sub_worker())
            logger.warning("channels listener restarted")
        await self._reconcile()

    async def _reconcile(self) -> None:
        """Subscribe Redis to every channel with subscribers here, and only to those."""
        assert isinstance(self._backend, RedisChannelsPubSubBackend)
        pubsub = self._backend._pub_sub
        wanted = {name for name, subscribers in self._channels.items() if subscribers}
        current = {
            key.decode() if isinstance(key, bytes) else str(key)
            for key in pubsub.channels.keys() - pubsub.pending_unsubscribe_channels
        }
        if missing := wanted - current:
            await self._backend.subscribe(missing)
        if stale := current - wanted:
            await self._backend.unsubscribe(stale)
