"""review.html in a real browser: Debian's headless Chromium, driven by playwright (never its
own browser download, which this project's machines cannot fetch). The page is the hostile
one of tests/review_report.py, opened from a file, as a reviewer opens it.

Watched on every page: console errors, uncaught exceptions, CSP violations (recorded in the
page by a listener playwright installs before the page's own script), every request, and any
dialog (an alert() that got through would open one).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.is_file():
    pytest.skip(
        "no /usr/bin/chromium: install Debian's chromium (.ci/run does, as root) to run the "
        "review page's browser tests",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the playwright package is missing: pip install -e '.[test]'",
)

from drafter.bundle import Bundle  # noqa: E402
from drafter.draft_model import Draft  # noqa: E402
from drafter.review_page import anchor_refs, write_review_page  # noqa: E402
from drafter.verify_model import CheckedAnchor, VerifyReport  # noqa: E402
from tests.review_report import (  # noqa: E402
    HOSTILE_FACT,
    HOSTILE_IMG,
    HOSTILE_SCRIPT,
    HOSTILE_URL,
    first_mismatch,
    hostile,
    reviewed,
)

# As the machine notes advise for a closed network: no background, component or sync traffic.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@dataclass
class Review:
    """The hostile draft and report, and review.html written from them."""

    draft: Draft
    report: VerifyReport
    path: Path

    @property
    def url(self) -> str:
        return self.path.as_uri()

    def element_id(self, anchor: CheckedAnchor) -> str:
        return next(r.id for r in anchor_refs(self.report).values() if r.anchor is anchor)


@dataclass
class Watched:
    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        return list(self.page.evaluate("window.__violations"))

    def text(self, selector: str) -> str:
        return str(self.page.locator(selector).text_content())

    def assert_quiet(self, url: str) -> None:
        """Nothing went wrong and nothing was asked of anything but the page's file."""
        assert self.console_errors == [] and self.page_errors == []
        assert self.violations() == []
        assert self.requests == [url]
        assert self.dialogs == []


@pytest.fixture(scope="module")
def review(reference_bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> Review:
    draft, report = hostile(*reviewed(reference_bundle))
    path = tmp_path_factory.mktemp("review") / "review.html"
    write_review_page(path, draft, report)
    return Review(draft, report, path)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def opened(browser: Any, review: Review) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watched = Watched(page)
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: message.type == "error" and watched.console_errors.append(message.text),
    )
    page.on("pageerror", lambda error: watched.page_errors.append(str(error)))
    page.on("request", lambda request: watched.requests.append(request.url))

    def dialog(opened_dialog: Any) -> None:
        watched.dialogs.append(opened_dialog.message)
        opened_dialog.dismiss()

    page.on("dialog", dialog)
    page.goto(review.url)
    try:
        yield watched
    finally:
        context.close()


def _linked_fact_anchor(review: Review) -> CheckedAnchor:
    """A verified anchor whose fact has a web page and a field: what a reviewer clicks most."""
    return next(
        a
        for p in review.report.paragraphs
        for a in p.anchors
        if a.status == "verified"
        and a.fact_id in review.report.facts
        and (review.report.facts[a.fact_id].source_url or "").startswith("https://")
        and review.report.facts[a.fact_id].field
    )


def test_the_page_loads_with_no_error_violation_request_or_dialog(
    opened: Watched, review: Review
) -> None:
    page = opened.page
    page.wait_for_load_state("load")
    assert page.title().startswith("Review: ")
    assert page.locator(".anchor").count() == sum(len(p.anchors) for p in review.report.paragraphs)
    # the hostile prose is on the page as text: no image, no extra script, no alert
    assert page.locator(".para", has_text=HOSTILE_IMG).count() == 1
    assert page.locator("img").count() == 0 and page.locator("script").count() == 2
    opened.assert_quiet(review.url)


def test_clicking_an_anchor_shows_its_fact_and_source(opened: Watched, review: Review) -> None:
    anchor = _linked_fact_anchor(review)
    assert anchor.fact_id is not None
    fact = review.report.facts[anchor.fact_id]
    opened.page.click(f"#{review.element_id(anchor)}")
    assert opened.text("#d-status") == "verified"
    assert opened.text("#d-text") == anchor.text
    assert opened.text("#d-id") == fact.id
    assert opened.text("#d-value") == fact.value
    assert opened.text("#d-label") == fact.label
    assert opened.text("#d-field") == fact.field
    assert opened.text("#d-source") == fact.source
    assert opened.text("#d-request") == fact.request
    assert fact.source_url is not None and fact.source_url in opened.text("#d-url")
    link = opened.page.locator("#d-url a")
    assert link.count() == 1
    assert link.get_attribute("href") == fact.source_url
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert link.get_attribute("target") == "_blank"
    opened.assert_quiet(review.url)  # showing a link loads nothing


def test_enter_on_a_focused_anchor_shows_it(opened: Watched, review: Review) -> None:
    anchor = first_mismatch(review.report)
    element = opened.page.locator(f"#{review.element_id(anchor)}")
    element.focus()
    opened.page.keyboard.press("Enter")
    assert opened.text("#d-status") == "mismatch"
    assert opened.text("#d-reason") == anchor.reason
    assert element.get_attribute("aria-current") == "true"


def test_a_mismatch_is_listed_at_the_top_and_its_link_takes_the_reviewer_there(
    opened: Watched, review: Review
) -> None:
    page = opened.page
    anchor = first_mismatch(review.report)
    target = review.element_id(anchor)
    jump = page.locator(f'#failing a.jump[href="#{target}"]')
    assert jump.count() == 1 and "mismatch" in str(jump.text_content())
    draft_heading = page.locator("#h-draft").bounding_box()
    box = jump.bounding_box()
    assert box is not None and draft_heading is not None and box["y"] < draft_heading["y"]
    jump.click()
    assert page.evaluate("document.activeElement.id") == target
    sync_api.expect(page.locator(f"#{target}")).to_be_in_viewport()
    assert opened.text("#d-status") == "mismatch" and opened.text("#d-text") == anchor.text
    opened.assert_quiet(review.url)


def test_the_skip_link_is_first_and_leads_to_the_failures(opened: Watched, review: Review) -> None:
    page = opened.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the next stop is the first failure's link
    assert page.evaluate("document.activeElement.className") == "jump"


def test_hostile_fact_text_is_shown_as_text_and_its_url_never_linked(
    opened: Watched, review: Review
) -> None:
    hostile_anchor = next(
        a for p in review.report.paragraphs for a in p.anchors if a.fact_id == HOSTILE_FACT
    )
    opened.page.click(f"#{review.element_id(hostile_anchor)}")
    assert opened.text("#d-value") == HOSTILE_SCRIPT
    assert opened.text("#d-label") == HOSTILE_IMG
    assert opened.text("#d-url") == HOSTILE_URL
    assert opened.page.locator("#d-url a").count() == 0
    assert opened.page.locator("#detail img, #detail script").count() == 0
    opened.assert_quiet(review.url)


def test_the_policy_is_enforced_not_only_declared(opened: Watched, review: Review) -> None:
    """A script added at run time does not run, and the page cannot reach the network."""
    ran = opened.page.evaluate(
        """async () => {
          const script = document.createElement("script");
          script.textContent = "window.__ran = true";
          document.body.appendChild(script);
          let fetched = true;
          try { await fetch("http://127.0.0.1:9/"); } catch (error) { fetched = false; }
          return [window.__ran === true, fetched];
        }"""
    )
    assert ran == [False, False]
    blocked = " ".join(opened.violations())
    assert "script-src" in blocked and "connect-src" in blocked
    assert opened.requests == [review.url]


def test_an_anchor_no_fact_holds_says_so_instead_of_an_empty_fact(
    opened: Watched, review: Review
) -> None:
    untraced = next(a for p in review.report.paragraphs for a in p.anchors if a.fact_id is None)
    opened.page.click(f"#{review.element_id(untraced)}")
    assert opened.text("#d-status") == "untraceable"
    assert opened.page.locator("#d-nofact").is_visible()
    assert not opened.page.locator("#d-fact").is_visible()


def test_opening_the_page_at_an_anchor_selects_it(browser: Any, review: Review) -> None:
    """review.html#a12 (a link an editor sends a colleague) opens with that anchor shown."""
    anchor = first_mismatch(review.report)
    target = review.element_id(anchor)
    page = browser.new_page()
    try:
        page.goto(f"{review.url}#{target}")
        assert page.evaluate("document.activeElement.id") == target
        assert page.locator("#d-status").text_content() == "mismatch"
    finally:
        page.close()
