"""Phone screenshots of the demo for the README (390 x 844, light and dark).

Start the demo (`make run`), then, with Playwright from PyPI (`pip install -e .[screenshots]`
or in any virtualenv) and the system Chromium at /usr/bin/chromium (the script never downloads
a browser):

    python scripts/screenshots.py http://127.0.0.1:8000 docs/screenshots
"""

import sys

from playwright.sync_api import sync_playwright

BASE = sys.argv[1]
OUT = sys.argv[2]
PASSWORD = "ratpark-demo-2026"  # noqa: S105  # nosec B105  # the published demo login


def login(page, email):
    page.context.clear_cookies()
    page.goto(f"{BASE}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")


with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=1, color_scheme="light"
    )
    page = ctx.new_page()
    login(page, "sam@demo.ratpark.local")
    shots = [
        ("today", "/"),
        ("checkin", "/checkins/?edit=1"),
        ("sos-status", "/nudges/sos/sent/"),
        ("network", "/network/"),
        ("history", "/checkins/history/"),
    ]
    for name, path in shots:
        page.goto(BASE + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=f"{OUT}/{name}.png")
    login(page, "maria@demo.ratpark.local")
    page.goto(BASE + "/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=f"{OUT}/supporter-sos.png")
    dark = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = dark.new_page()
    login(page, "sam@demo.ratpark.local")
    page.goto(BASE + "/nudges/sos/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=f"{OUT}/sos-dark.png")
    browser.close()
