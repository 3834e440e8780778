"""Where uploaded slates live: Neo4j when it is configured, else Redis with its own TTL.

Either way a slate reads back as `neo4j_slates.Slate`, so a submission by slate id does not care
which store holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from flask import Flask

from webapp.clients.neo4j_client import Neo4jClient, get_neo4j
from webapp.clients.redis_client import get_redis
from webapp.config import get_settings
from webapp.extensions import Key
from webapp.jobs.keys import Keys
from webapp.jobs.record import decode_blob, encode_blob
from webapp.optimizer.rules import CLASSIC
from webapp.slates.neo4j_slates import Slate, SlateNotFoundError, load_slate, write_slate


@dataclass
class SlateStore:
    """Saves and loads slates in the configured store."""

    neo4j: Neo4jClient
    redis_client: Callable[[], redis.Redis]
    keys: Keys
    ttl_seconds: int

    @property
    def backend(self) -> str:
        """ "neo4j" or "redis": where slates go."""
        return "neo4j" if self.neo4j.is_configured else "redis"

    def save(
        self,
        slate_id: str,
        sport: str | None,
        players: list[dict[str, Any]],
        contest_type: str = CLASSIC,
        *,
        tenant: str | None,
    ) -> None:
        """Store (or replace) `tenant`'s slate; Neo4jUnavailableError or a Redis error when the
        store is out of reach."""
        if self.neo4j.is_configured:
            write_slate(self.neo4j, _graph_id(slate_id, tenant), sport, players, contest_type)
            return
        document = {"sport": sport, "players": players}
        if contest_type != CLASSIC:  # a classic slate's blob stays as it was
            document["contest_type"] = contest_type
        blob = encode_blob(document)
        self.redis_client().set(self.keys.slate(slate_id, tenant), blob, ex=self.ttl_seconds)

    def load(self, slate_id: str, *, tenant: str | None) -> Slate:
        """`tenant`'s stored slate; SlateNotFoundError when it has none by this id (another
        tenant's slate of the same id is not seen)."""
        if self.neo4j.is_configured:
            slate = load_slate(self.neo4j, _graph_id(slate_id, tenant))
            return Slate(
                slate_id=slate_id,
                sport=slate.sport,
                players=slate.players,
                contest_type=slate.contest_type,
            )
        stored = decode_blob(self.redis_client().get(self.keys.slate(slate_id, tenant)))
        if not stored or not stored.get("players"):
            raise SlateNotFoundError(slate_id)
        return Slate(
            slate_id=slate_id,
            sport=stored.get("sport"),
            players=stored["players"],
            contest_type=stored.get("contest_type") or CLASSIC,
        )


def _graph_id(slate_id: str, tenant: str | None) -> str:
    """The slate's id in Neo4j: a tenant's ids get its name and a '/' in front, which no
    slate id holds, so two tenants' slates never share a node."""
    return slate_id if tenant is None else f"{tenant}/{slate_id}"


SLATES: Key[SlateStore] = Key("webapp.slates", "webapp.slates.store.init_app")


def init_app(app: Flask) -> SlateStore:
    """Give `app` its slate store (no connection is made here)."""
    settings = get_settings(app)
    store = SlateStore(
        neo4j=get_neo4j(app),
        redis_client=get_redis(app).client,
        keys=Keys(settings.redis_key_prefix),
        ttl_seconds=settings.slate_ttl_seconds,
    )
    return SLATES.register(app, store)


def get_slate_store(app: Flask) -> SlateStore:
    """The app's slate store."""
    return SLATES.lookup(app)
