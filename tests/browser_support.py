"""What the browser tests share: Debian's headless Chromium (never a downloaded build), one ``browser``
fixture that launches it, and a page that watches for requests to other hosts and console errors.

conftest.py loads this module as a plugin, so every test file has the ``browser`` fixture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest_pg import one_installer_at_a_time

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request

    from web_support import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


def ensure_chromium() -> Path:
    """Debian's Chromium, installed with apt-get when missing and we may; never a downloaded build."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.fail(f"{CHROMIUM} is missing: install Debian's package (apt-get install chromium) as root")
    with one_installer_at_a_time():
        if not CHROMIUM.exists():  # another test process may have installed it meanwhile
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
            subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
    if not CHROMIUM.exists():
        pytest.fail(f"apt-get install chromium did not provide {CHROMIUM}")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Imported here: only the browser tests pay for starting Playwright.
    from playwright.sync_api import sync_playwright

    executable = ensure_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


class Watch:
    """What a page asked of other hosts and the errors it logged; both must stay empty."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.foreign: list[str] = []
        self.errors: list[str] = []

    def request(self, request: Request) -> None:
        if not request.url.startswith((self.base, "data:")):
            self.foreign.append(request.url)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def check(self) -> None:
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"
        assert self.errors == [], f"console errors: {self.errors}"


def watched_page(
    browser: Browser, server: LiveServer, width: int, height: int
) -> Iterator[tuple[Page, Watch]]:
    """A page of the given size on ``server``; when the caller is done, it must have asked nothing of
    any other host and logged no error."""
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=server.url)
    page = context.new_page()
    watch = Watch(server.url)
    page.on("request", watch.request)
    page.on("console", watch.console)
    page.on("pageerror", lambda error: watch.errors.append(str(error)))
    yield page, watch
    context.close()
    watch.check()


def shot(page: Page, name: str, *, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret makes Playwright inject a <style>, which the page's CSP refuses.
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full, caret="initial")
