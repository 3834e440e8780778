"""Flask's JSON provider on orjson: responses are rendered several times faster."""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider


class OrjsonProvider(DefaultJSONProvider):
    """dumps/loads through orjson; anything orjson cannot encode falls back to Flask's rules."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        # Non-str keys: marshmallow error details are keyed by list index.
        return orjson.dumps(obj, default=self.default, option=orjson.OPT_NON_STR_KEYS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)
