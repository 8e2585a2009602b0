"""The event catalog, built by the real CLI and opened from file:// in headless Chromium (Debian's
package, driven by Playwright without any browser download): no console error, no request off the
machine, the diagram as SVG naming every service, every model field on its event page, a breaking
snapshot shown as breaking, and screenshots written to the build directory."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas import ALL_EVENTS, StageChanged
from schemas.gate import PUBLISHED_DIR
from services.catalog.site import build
from services.cli.main import main
from services.topology import TOPOLOGY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("catalog")
    err = io.StringIO()
    assert main(["catalog", "build", str(out)], out=io.StringIO(), err=err) == 0, err.getvalue()
    return out


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: problems.append(f"request: {r.url}") if not r.url.startswith("file://") else None)
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://") else route.abort())
    page.goto(url)
    page.wait_for_load_state("load")
    return page, problems


def test_every_page_loads_clean_and_offline(browser, site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 1 + len(ALL_EVENTS) + len(TOPOLOGY.services) + 1
    for path in pages:
        page, problems = _open(browser, path.as_uri())
        assert page.title().endswith("loadshed event catalog")
        page.close()
        assert problems == [], (path.name, problems)


def test_index_has_the_diagram_as_svg_naming_every_service(browser, site):
    page, _ = _open(browser, (site / "index.html").as_uri())
    labels = page.locator("svg.topology text").all_text_contents()
    for service in TOPOLOGY.services:
        assert service.name in labels, service.name
    assert page.locator("#events tbody tr").count() == len(ALL_EVENTS)
    page.screenshot(path=str(site / "index.png"), full_page=True)
    assert (site / "index.png").stat().st_size > 10_000


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.__name__)
def test_event_page_lists_every_field_source_and_routing(browser, site, cls):
    page, _ = _open(browser, (site / "events" / f"{cls.__name__}.html").as_uri())
    shown = set(page.locator("table.fields tr[data-field]").evaluate_all("rows => rows.map(r => r.dataset.field)"))
    assert set(cls.model_fields) <= shown, set(cls.model_fields) - shown
    body = page.locator("main").inner_text()
    assert cls.SOURCE in body and cls.DETAIL_TYPE in body
    for sub in TOPOLOGY.subscriptions:
        if cls in sub.events:
            assert page.locator(f"#rule-{sub.name}").count() == 1
    if cls is StageChanged:
        page.screenshot(path=str(site / "event.png"), full_page=True)


def test_search_finds_fields(browser, site):
    page, problems = _open(browser, (site / "index.html").as_uri())
    page.fill("#search", "content_hash")
    hits = page.locator("#results a").all_text_contents()
    assert any("ScheduleUpdated.content_hash" in h for h in hits)
    page.locator("#results a").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("events/ScheduleUpdated.html#field-content_hash")
    assert problems == []


def test_a_breaking_snapshot_is_shown_as_breaking(browser, tmp_path):
    published = tmp_path / "published"
    shutil.copytree(PUBLISHED_DIR, published)
    v1 = json.loads((published / "StageChanged" / "v1.json").read_text())
    v2 = json.loads(json.dumps(v1))
    detail = v2["definitions"]["StageChanged"]  # the detail, referenced from properties.detail
    detail["properties"].pop("stage")
    detail["required"] = [r for r in detail.get("required", []) if r != "stage"]
    (published / "StageChanged" / "v2.json").write_text(json.dumps(v2))
    out = tmp_path / "site"
    build(out, published=published)
    page, problems = _open(browser, (out / "events" / "StageChanged.html").as_uri())
    history = page.locator("#history").inner_text()
    assert "v2" in history and "breaking" in history and "stage" in history
    page2, _ = _open(browser, (out / "events" / "ScheduleUpdated.html").as_uri())
    assert "breaking" not in page2.locator("#history").inner_text()
    assert problems == []
