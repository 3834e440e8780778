"""Headless Debian Chromium driven by selenium through chromedriver, for the dashboard tests."""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Screenshots of every page a browser test visits, kept for review after the run.
ARTIFACTS = ROOT / "var" / "test-artifacts"

# Flags for a root user in a container: no sandbox, no GPU, and nothing that talks to the
# network on its own (updates, sync, QUIC probes), in a profile of its own.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1400",
)


def _binaries() -> tuple[str, str] | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


@contextmanager
def chromium() -> Iterator:
    """A selenium WebDriver on a fresh profile; skipped (failed in CI) without Chromium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = _binaries()
    if found is None:
        if os.environ.get("CI"):
            raise AssertionError("chromium and chromedriver are needed (scripts/bootstrap test)")
        pytest.skip("chromium / chromedriver not installed (scripts/bootstrap test installs them)")
    binary, driver_path = found
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver, directory: Path, name: str) -> Path:
    """Save the current page as `<directory>/<name>.png`, the whole page (up to 8000 px)."""
    directory.mkdir(parents=True, exist_ok=True)
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 8000), "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True, "clip": clip},
    )
    path = directory / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
