"""Per-app objects: registered once, looked up with an error that says what was forgotten."""

from __future__ import annotations

import pytest
from flask import Flask

from webapp.extensions import Key

THING: Key[object] = Key("tests.thing", "tests.init_thing")


def test_a_registered_object_is_looked_up() -> None:
    """lookup returns exactly the object register kept on that app."""
    app, thing = Flask(__name__), object()

    THING.register(app, thing)

    assert THING.lookup(app) is thing and THING.find(app) is thing


def test_a_second_registration_is_refused() -> None:
    """Registering twice on one app raises instead of replacing the first object."""
    app = Flask(__name__)
    THING.register(app, object())

    with pytest.raises(RuntimeError, match="already registered"):
        THING.register(app, object())


def test_a_missing_object_names_what_registers_it() -> None:
    """lookup on an app without the object names the call that was forgotten; find is None."""
    app = Flask(__name__)

    with pytest.raises(RuntimeError, match=r"call tests\.init_thing"):
        THING.lookup(app)
    assert THING.find(app) is None
