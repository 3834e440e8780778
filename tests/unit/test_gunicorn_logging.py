"""gunicorn's own logging under the service's settings."""

from __future__ import annotations

import runpy
from pathlib import Path
from unittest import mock

from gunicorn.config import Config

from webapp.observability.gunicorn_logging import ServiceLogger

ROOT = Path(__file__).resolve().parents[2]


def _service_config() -> Config:
    """gunicorn's Config with every setting of gunicorn.conf.py applied."""
    cfg = Config()
    values = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    for name, value in values.items():
        if name in cfg.settings:
            cfg.set(name, value)
    return cfg


def test_the_service_config_uses_the_service_logger() -> None:
    cfg = _service_config()

    assert cfg.logger_class is ServiceLogger
    assert cfg.logconfig_dict  # the case where gunicorn would otherwise build access lines


def test_no_access_line_is_built() -> None:
    """gunicorn skips its access line: the atoms of a line are never computed."""
    with mock.patch("logging.config.dictConfig"):  # leave this process's logging alone
        logger = ServiceLogger(_service_config())

    with mock.patch.object(ServiceLogger, "atoms") as atoms:
        logger.access(mock.Mock(), mock.Mock(), {}, mock.Mock())

    assert logger.access_log_enabled is False
    atoms.assert_not_called()
