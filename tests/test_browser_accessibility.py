"""Accessibility of the built book in headless Chromium: axe-core on every page, and a phone.

axe-core (from axe-playwright-python's wheel, which ships axe.min.js, so nothing is downloaded)
checks every built page against the WCAG 2.0 and 2.1 A and AA rules, in the light and the dark
theme, once its explorers and formulas have rendered; any serious or critical violation fails.
Each page must also load clean, with a title (the open_page fixture checks its requests and log).
The explorers' grids must also be whole: every gridcell sits in a row of a grid.

Then each page with explorers opens on a phone-sized touch screen: every explorer fits the page
width (nothing sticks out of it; a grid too wide scrolls inside its own box) and reacts to a tap,
which lights cells and changes the status line. (The rest of a page, prose and code, is the
theme's business and is not measured here.)
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from browser_util import built_pages, wait_for_mathjax
from conftest import BOOK_HTML

WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}
PHONE = {"width": 390, "height": 844, "touch": True}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# What a reader taps in each explorer: a cell that is not lit before the tap.
TAP_TARGETS = {
    "adjoint": '[data-grid="output"][data-row="1"][data-col="1"]',
    "scatter-add": '[data-grid="input"][data-row="1"][data-col="1"]',
    "output-size": '[data-grid="formula"][data-col="2"]',
    "quick-check": '[data-role="option"][data-index="1"]',
    "zero-insertion": '[data-grid="input"][data-row="1"][data-col="1"]',  # the only grid at first
    "overlap": '[data-grid="overlap"][data-row="2"][data-col="3"]',
    "stacked": '[data-grid="layer-1"][data-col="4"]',
    "pixel-shuffle": '[data-grid="output"][data-channel="0"][data-row="1"][data-col="2"]',
}


def pages(with_explorers: bool = False) -> list:
    """Built pages (those showing explorers only, if asked). Without a built book this is one
    page that does not exist, so the test fails (in the book_url fixture) instead of vanishing."""
    found = built_pages(BOOK_HTML) if BOOK_HTML.is_dir() else []
    if with_explorers:
        found = [p for p in found if WIDGET_VIEW in (BOOK_HTML / p).read_text(encoding="utf-8")]
    return found or ["book/index.html"]


def wait_until_rendered(page) -> None:
    """Every widget view on the page has become an explorer, and MathJax has typeset."""
    page.wait_for_function(
        f"""() => document.querySelectorAll("[data-explorer]").length ===
                  document.querySelectorAll('script[type="{WIDGET_VIEW}"]').length""",
        timeout=15000,
    )
    wait_for_mathjax(page)


# axe's contrast rule measures every text element, and most of a page's text elements are the
# code blocks' highlighted tokens (4,300 of 5,800 elements on the fixes page), which repeat a few
# colour pairs thousands of times: the rule took 4.3 of axe's 5.5 s there. So each visible token
# span whose contrast inputs (its colour, the background it is drawn on, its size, weight and
# opacity) an earlier visible token already has is marked, and the rule skips the marked ones;
# every other rule sees every element. Marked again after a theme change: the colours change too.
MARK_REPEATED_TOKENS_JS = r"""() => {
  const opaque = (colour) => !/rgba\(/.test(colour) || /, 1\)$/.test(colour);
  const drawnOn = (element) => {  // the backgrounds down to the first opaque one
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const { backgroundColor, backgroundImage } = getComputedStyle(e);
      if (backgroundImage !== "none") layers.push(backgroundImage);
      if (backgroundColor === "rgba(0, 0, 0, 0)") continue;
      layers.push(backgroundColor);
      if (opaque(backgroundColor)) break;
    }
    return layers.join(" over ");
  };
  const seen = new Set();
  for (const token of document.querySelectorAll("pre span")) {
    token.removeAttribute("data-axe-repeat");
    if (!token.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
    const style = getComputedStyle(token);
    const key = [style.color, drawnOn(token), style.fontSize, style.fontWeight, style.opacity].join("|");
    if (seen.has(key)) token.setAttribute("data-axe-repeat", ""); else seen.add(key);
  }
}"""
# axe's own selector for the contrast rule is "*".
SKIP_MARKED_TOKENS_JS = ("() => axe.configure({ rules: [{ id: 'color-contrast', "
                         "selector: '*:not([data-axe-repeat])' }] })")
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_A_AA}, "resultTypes": ["violations"],
    # axe's stylesheet preloader resolves theme.css's `@import "../basic.css"` against the page,
    # not the stylesheet, and requests a missing /basic.css (a failed request fails the page).
    # Only css-orientation-lock needs what it preloads.
    "preload": False,
}


def serious_violations(page) -> list:
    """axe-core's serious and critical WCAG A/AA violations, one line each."""
    if not page.evaluate("() => typeof axe === 'object'"):
        page.evaluate(Axe().axe_script)
        page.evaluate(SKIP_MARKED_TOKENS_JS)
    page.evaluate(MARK_REPEATED_TOKENS_JS)
    results = page.evaluate("(options) => axe.run(document, options)", AXE_OPTIONS)
    return [
        f"{v['id']} ({v['impact']}) on {len(v['nodes'])} element(s), e.g. {v['nodes'][0]['html'][:160]}"
        for v in results["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]


# Roles a grid needs (axe checks them too; this says which explorer broke them, and why).
BROKEN_GRIDS_JS = """() => [
  ...[...document.querySelectorAll("[data-explorer] [role=gridcell]")]
    .filter((c) => !c.parentElement.matches("[role=row]") || !c.closest("[role=grid]"))
    .map((c) => `gridcell ${c.dataset.grid} outside a row of a grid`),
  ...[...document.querySelectorAll("[data-explorer] [role=grid]")]
    .filter((g) => [...g.children].some((child) => child.getAttribute("role") !== "row"))
    .map((g) => `grid "${g.getAttribute("aria-label")}" with a child that is not a row`),
]"""


# The theme follows the reader's colour scheme as it changes (the page stays loaded). Wait until
# it has switched and its colour transitions have ended, so colours are measured at rest.
THEME_AT_REST_JS = """async () => {
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const transitions = document.getAnimations().filter((a) => a instanceof CSSTransition);
  await Promise.all(transitions.map((a) => a.finished.catch(() => null)));
  return document.documentElement.dataset.theme;
}"""


@pytest.mark.parametrize("path", pages())
def test_no_serious_accessibility_violation(open_page, path):
    page = open_page(path, settle=True)
    assert page.title(), path
    wait_until_rendered(page)
    assert page.evaluate(BROKEN_GRIDS_JS) == []
    assert page.evaluate(THEME_AT_REST_JS) == "light"
    assert serious_violations(page) == [], f"{path}, light theme"
    page.emulate_media(color_scheme="dark")
    assert page.evaluate(THEME_AT_REST_JS) == "dark"
    assert serious_violations(page) == [], f"{path}, dark theme"


def test_contrast_check_sees_a_token_of_a_new_colour(open_page):
    # Guards the marking above: a single token drawn in a colour no other token has, the last
    # one on the page, is still measured, and fails.
    page = open_page("chapters/02_matrix_view.html")
    assert serious_violations(page) == []
    assert page.evaluate("() => document.querySelectorAll('[data-axe-repeat]').length") > 1000
    page.evaluate("""() => {
      const tokens = document.querySelectorAll("pre span");
      tokens[tokens.length - 1].style.color = "rgb(210, 210, 210)";
    }""")
    found = serious_violations(page)
    assert len(found) == 1 and found[0].startswith("color-contrast (serious) on 1 element"), found


# scrollWidth > clientWidth: something inside sticks out sideways (boxes that scroll their own
# content clip it, so they do not count); right edge: the explorer stays in the page's width.
OVERFLOW_JS = """(root) => {
  const page = document.documentElement.clientWidth;
  return { overflow: root.scrollWidth - root.clientWidth, right: root.getBoundingClientRect().right - page };
}"""

SNAPSHOT_JS = """(root) => ({
  lit: [...root.querySelectorAll("[data-lit]")].map((e) => e.outerHTML.slice(0, 120)),
  status: root.querySelector("[data-role=status]").textContent,
})"""


@pytest.mark.parametrize("path", pages(with_explorers=True))
def test_explorers_fit_a_phone_and_answer_a_tap(open_page, path):
    page = open_page(path, **PHONE, settle=True)
    wait_until_rendered(page)
    names = page.eval_on_selector_all("[data-explorer]", "els => els.map((e) => e.dataset.explorer)")
    assert names, f"{path}: no explorer rendered"
    assert set(names) <= set(TAP_TARGETS), f"{path}: no tap target for {set(names) - set(TAP_TARGETS)}"
    for index, name in enumerate(names):
        root = page.locator("[data-explorer]").nth(index)
        root.scroll_into_view_if_needed()
        fit = root.evaluate(OVERFLOW_JS)
        assert fit["overflow"] <= 1 and fit["right"] <= 1, f"{path}: {name} is wider than a phone: {fit}"
        before = root.evaluate(SNAPSHOT_JS)
        root.locator(TAP_TARGETS[name]).tap()
        after = root.evaluate(SNAPSHOT_JS)
        assert after["lit"] and after["lit"] != before["lit"], f"{path}: a tap lit nothing new in {name}"
        assert after["status"] != before["status"], f"{path}: a tap left {name}'s status unchanged"
