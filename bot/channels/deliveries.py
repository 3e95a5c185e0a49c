"""Which Slack events and Telegram updates were answered, shared by every server and restart.

Slack and Telegram deliver an event again when they did not get a quick 2xx: the bot was down,
slow, or another server took the first copy. Each delivery is identified by its event id or
update id. Before answering, a server *claims* it for a short lease; once the answer is sent it
marks it *done* for days. A copy that arrives later:

- of a delivery that is done: posts nothing;
- of one claimed and still being answered: is told to come back later (the channel answers it
  with an error status, so the platform retries after the lease if the first server died);
- of one never handled (the bot was down): is claimed and answered, once.

Kept in Redis when REDIS_URL is set (`SET NX PX`, atomic, with a TTL), else in the SQL database
(DATABASE_URL) in the small table `channel_deliveries`, claimed by an insert that only one server
can win.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.config import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

PENDING, DONE = "pending", "done"
# How long a copy of a delivery being answered elsewhere waits for that answer before giving up.
WAIT_FOR_OTHER_SECONDS = 2.0


class Claim(enum.Enum):
    MINE = "mine"  # answer it now, then call done() (or release() if it failed)
    DONE = "done"  # answered already: post nothing
    BUSY = "busy"  # being answered by another server (or one that died, until its lease ends)


class DeliveryStore(Protocol):
    def try_claim(self, key: str, lease: float) -> Claim: ...
    def mark_done(self, key: str, memory: float) -> None: ...
    def release(self, key: str) -> None: ...


class RedisDeliveryStore:
    """`<prefix>:delivery:<key>` holds "pending" (with the lease as TTL) or "done" (days)."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.red = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = f"{prefix}:delivery:"

    def try_claim(self, key: str, lease: float) -> Claim:
        name = self.prefix + key
        if self.red.set(name, PENDING, nx=True, px=max(1, int(lease * 1000))):
            return Claim.MINE
        state = self.red.get(name)
        if state is None:  # the lease ran out between the two commands
            return self.try_claim(key, lease)
        return Claim.DONE if state == DONE.encode() else Claim.BUSY

    def mark_done(self, key: str, memory: float) -> None:
        self.red.set(self.prefix + key, DONE, px=max(1, int(memory * 1000)))

    def release(self, key: str) -> None:
        # Only our own pending claim: a "done" written meanwhile must stay.
        self.red.eval(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
            " return 0",
            1,
            self.prefix + key,
            PENDING,
        )


metadata = sa.MetaData()
deliveries_table = sa.Table(
    "channel_deliveries",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("state", sa.String(8), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),  # seconds since the epoch
)


class SqlDeliveryStore:
    """One row per delivery; a claim is an INSERT (the primary key lets one server win) or, for
    an expired row, an UPDATE guarded by its expiry (again one winner)."""

    PURGE_EVERY = 500  # claims between deletions of expired rows

    def __init__(self, url: str) -> None:
        from bot.db import create_db_engine

        self.url = url
        self._engine: Engine | None = None
        self._claims = 0
        self._create_engine = create_db_engine

    @property
    def engine(self) -> Engine:
        if self._engine is None:  # created on first use: starting the bot touches no database
            self._engine = self._create_engine(self.url)
            metadata.create_all(self._engine, checkfirst=True)
        return self._engine

    def try_claim(self, key: str, lease: float) -> Claim:
        table, now = deliveries_table, time.time()
        self._claims += 1
        with self.engine.begin() as connection:
            if self._claims % self.PURGE_EVERY == 0:
                connection.execute(table.delete().where(table.c.expires_at < now))
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    table.insert().values(key=key, state=PENDING, expires_at=now + lease)
                )
            return Claim.MINE
        except sa.exc.IntegrityError:
            pass
        with self.engine.begin() as connection:
            taken = connection.execute(
                table.update()
                .where(table.c.key == key, table.c.expires_at < now)
                .values(state=PENDING, expires_at=now + lease)
            ).rowcount
            if taken == 1:
                return Claim.MINE
            state = connection.execute(
                sa.select(table.c.state).where(table.c.key == key)
            ).scalar_one_or_none()
        if state is None:  # deleted in between (released): try again
            return self.try_claim(key, lease)
        return Claim.DONE if state == DONE else Claim.BUSY

    def mark_done(self, key: str, memory: float) -> None:
        table, expires = deliveries_table, time.time() + memory
        with self.engine.begin() as connection:
            changed = connection.execute(
                table.update().where(table.c.key == key).values(state=DONE, expires_at=expires)
            ).rowcount
            if not changed:
                connection.execute(table.insert().values(key=key, state=DONE, expires_at=expires))

    def release(self, key: str) -> None:
        table = deliveries_table
        with self.engine.begin() as connection:
            connection.execute(table.delete().where(table.c.key == key, table.c.state == PENDING))


class Deliveries:
    """The channels' view: async, and never the reason a message goes unanswered (a store that
    cannot be reached is logged and the delivery answered, as before there was a store)."""

    def __init__(self, store: DeliveryStore, lease: float, memory: float) -> None:
        self.store, self.lease, self.memory = store, lease, memory

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Deliveries:
        settings = settings or Settings.from_env()
        store: DeliveryStore
        if settings.redis_url:
            store = RedisDeliveryStore(settings.redis_url, settings.redis_key_prefix)
        else:
            store = SqlDeliveryStore(settings.database_url)
        return cls(store, settings.delivery_lease_seconds, settings.delivery_memory_seconds)

    async def _run(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(call, *args)

    async def claim(self, key: str) -> Claim:
        """MINE, DONE or BUSY; a copy that finds the delivery BUSY waits a moment for the other
        server's answer, since the usual reason is that it has just been sent."""
        deadline = time.monotonic() + WAIT_FOR_OTHER_SECONDS
        while True:
            try:
                claim = await self._run(self.store.try_claim, key, self.lease)
            except Exception as error:  # noqa: BLE001 (any store failure: answer rather than drop)
                logger.error("deliveries: cannot check %s (%s); answering it", key, error)
                return Claim.MINE
            if claim is not Claim.BUSY or time.monotonic() >= deadline:
                return claim
            await asyncio.sleep(0.2)

    async def done(self, key: str) -> None:
        try:
            await self._run(self.store.mark_done, key, self.memory)
        except Exception as error:  # noqa: BLE001
            logger.error("deliveries: cannot mark %s answered (%s)", key, error)

    async def release(self, key: str) -> None:
        try:
            await self._run(self.store.release, key)
        except Exception as error:  # noqa: BLE001
            logger.error("deliveries: cannot release %s (%s)", key, error)
