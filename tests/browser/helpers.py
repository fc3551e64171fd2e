"""What the browser tests share: the viewports, the server under test, a page's console
errors, screenshots, and signing in the way a person does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Page

from tests.atnet.network import Account

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


@dataclass(frozen=True)
class LiveServer:
    url: str
    data_dir: Path


class ConsoleErrors(list[str]):
    """Console errors and uncaught exceptions of a page: there must be none, except a
    failed request a test provokes on purpose (`allow("status of 415")`)."""

    def __init__(self) -> None:
        super().__init__()
        self.allowed: list[str] = []

    def allow(self, text: str) -> None:
        self.allowed.append(text)

    def watch(self, page: Page) -> None:
        page.on("console", lambda m: self.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.append(f"uncaught: {e}"))

    def unexpected(self) -> list[str]:
        return [e for e in self if not any(a in e for a in self.allowed)]


async def shoot(page: Page, name: str) -> Path:
    """Save a screenshot of what the page shows now (test-artifacts/screenshots/NAME.png)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    await page.screenshot(path=str(path))
    return path


async def sign_in_through_pages(page: Page, account: Account, return_to: str = "/") -> None:
    """Sign in the way a person does: plyr's login page, then the PDS's sign-in and consent
    pages, back to plyr."""
    await page.goto(f"/login?return_to={return_to}")
    await page.fill("#handle", account.handle)
    await page.click("form[action='/auth/start'] button[type=submit]")
    await page.wait_for_url("**/oauth/authorize**")
    await page.fill("input[autocomplete=current-password]", account.password)
    await page.click("button[type=submit]")
    await page.get_by_role("button", name="Authorize").click()
    await page.wait_for_url(f"**{return_to}")
    terms = page.locator("#terms-dialog button[type=submit]")
    if await terms.count():
        await terms.click()
        await page.locator("#terms-dialog").wait_for(state="detached")


@dataclass(frozen=True)
class CatalogTrack:
    id: int
    title: str
    duration: float
