"""Screenshots of the insights page for docs/insights.md, on a month of synthetic traffic.

    .venv/bin/python -m tools.insights_screenshots [--out docs/images]

Fills a temporary SQLite database with tools/insights_load.py, serves the page with
bot/ops/webserver.py on a free port and photographs it in headless Chromium, desktop and phone.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import threading
from pathlib import Path
from typing import Any

from playwright.sync_api import expect, sync_playwright

from bot.config import ROOT, Settings
from bot.db import create_db_engine
from bot.ops.serve import free_port
from bot.ops.webserver import make_server
from tools.insights_load import generate

CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--messages", type=int, default=6_000)
    args = parser.parse_args()
    token = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'demo.db'}"
        engine = create_db_engine(url)
        generate(engine, args.messages, days=30)
        engine.dispose()
        settings = Settings.from_env(
            {"DATABASE_URL": url, "INSIGHTS_TOKEN": token,
             "REVIEWED_NLU_PATH": str(Path(directory) / "reviewed.yml")}
        )  # fmt: skip
        port = free_port()
        server = make_server(port, "http://localhost:5005", settings=settings)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        args.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            for name, viewport in (("desktop", (1280, 800)), ("phone", (390, 844))):
                page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
                page.goto(f"http://127.0.0.1:{port}/insights")
                page.get_by_label("Access token").fill(token)
                page.get_by_role("button", name="Sign in").click()
                expect(page.locator("body[data-loaded=true]")).to_have_count(1, timeout=60_000)
                path = args.out / f"insights-{name}.png"
                height = page.evaluate("() => document.documentElement.scrollHeight")
                clip: Any = {"x": 0, "y": 0, "width": viewport[0], "height": min(height, 2000)}
                page.screenshot(path=str(path), full_page=True, clip=clip)
                print(f"wrote {path}")
                if name == "desktop":
                    review = page.locator("section[aria-labelledby=review-title]")
                    box = review.bounding_box()
                    assert box is not None
                    path = args.out / "insights-review.png"
                    clip = {"x": box["x"], "y": box["y"], "width": box["width"], "height": 620.0}
                    page.screenshot(path=str(path), full_page=True, clip=clip)
                    print(f"wrote {path}")
                page.close()
            browser.close()
        server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
