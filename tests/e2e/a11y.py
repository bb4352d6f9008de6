"""Accessibility checks run inside the page: axe-core (a test tool, never served) and a few of our own."""

from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


@cache
def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --no-audit --no-fund` in the project root (make does)")
    return AXE.read_text()


def run_axe(page: Page) -> list[dict]:
    """All axe violations on the page as it is now (WCAG 2.x A/AA and best practices).

    Needs page JavaScript: with it off, axe's timers never fire and the evaluate waits for ever.
    """
    # Evaluated, not added as a <script>: the page's CSP (script-src 'self') stays under test.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return result["violations"]


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:4]}"
        for v in violations
    )


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING]


def unlabelled_fields(page: Page) -> list[str]:
    """Form fields a screen reader could not name (no <label>, aria-label or aria-labelledby)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
             .filter(el => !(el.labels.length || el.getAttribute('aria-label') ||
                             el.getAttribute('aria-labelledby')))
             .map(el => el.outerHTML)"""
    )


def focus_ring(page: Page) -> dict:
    """What the focused element is, and whether it shows a visible focus indicator."""
    return page.evaluate(
        """() => { const el = document.activeElement; const s = getComputedStyle(el);
             const shown = el.cloneNode(true);
             shown.querySelectorAll('[aria-hidden=true]').forEach(n => n.remove());
             const name = (el.getAttribute('aria-label') || el.labels?.[0]?.textContent
                           || shown.textContent || '').replace(/\\s+/g, ' ').trim();
             return {tag: el.tagName.toLowerCase(), id: el.id, name,
                     visible: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                              || s.boxShadow !== 'none'}; }"""
    )


def luminance_of_background(page: Page) -> float:
    """Relative luminance of the body background (0 black, 1 white)."""
    return page.evaluate(
        """() => { const [r, g, b] = getComputedStyle(document.body).backgroundColor
                     .match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number)
                     .map(c => c / 255).map(c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
                   return 0.2126 * r + 0.7152 * g + 0.0722 * b; }"""
    )
