"""Per-app objects kept in `app.extensions`: each has a typed Key, registered once by an
`init_app` and looked up by the code that needs it, with an error that names what to call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")


@dataclass(frozen=True)
class Key(Generic[T]):
    """The name of one per-app object, and the call that registers it."""

    name: str
    registered_by: str  # named in the error when the object is missing

    def register(self, app: Any, value: T) -> T:
        """Keep `value` on `app`; RuntimeError when something is registered there already."""
        if self.name in app.extensions:
            raise RuntimeError(f"{self.name} is already registered on this app")
        app.extensions[self.name] = value
        return value

    def lookup(self, app: Any) -> T:
        """The object registered on `app`; RuntimeError naming `registered_by` when missing."""
        try:
            return cast(T, app.extensions[self.name])
        except KeyError:
            raise RuntimeError(
                f"{self.name} is not registered on this app: call {self.registered_by}"
            ) from None

    def find(self, app: Any) -> T | None:
        """The object registered on `app`, or None (for optional parts such as metrics)."""
        return cast("T | None", getattr(app, "extensions", {}).get(self.name))
