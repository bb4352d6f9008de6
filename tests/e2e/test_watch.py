"""The problem detectors themselves work: a test that cannot fail proves nothing."""

from playwright.sync_api import expect


def test_an_inline_script_is_refused_by_the_csp_and_the_watch_reports_it(browse, watch):
    page = browse()
    page.goto("/guidelines")
    page.evaluate(
        """() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';
                   document.body.append(s); }"""
    )
    page.wait_for_timeout(100)
    assert page.evaluate("window.__ran") is None
    assert any("script-src-elem" in p for p in watch.problems if p.startswith("CSP:")), watch.problems
    assert any(p.startswith("console:") and "Content Security Policy" in p for p in watch.problems)
    watch.problems.clear()


def test_a_missing_resource_is_reported_as_a_console_error(browse, watch):
    page = browse()
    page.goto("/guidelines")
    page.evaluate(
        "() => { const l = document.createElement('link'); l.rel = 'stylesheet';"
        " l.href = '/static/css/missing.css'; document.head.append(l); }"
    )
    page.wait_for_timeout(200)
    assert any("missing.css" in p for p in watch.problems), watch.problems
    watch.problems.clear()


def test_a_page_with_javascript_off_still_reports_csp_refusals(browse, watch):
    page = browse(js=False)
    page.goto("/guidelines")
    expect(page.get_by_role("heading", level=1)).to_have_text("Community guidelines")
    page.evaluate(
        "() => { const l = document.createElement('link'); l.rel = 'stylesheet';"
        " l.href = 'https://example.invalid/x.css'; document.head.append(l); }"
    )
    page.wait_for_timeout(200)
    assert any("Content Security Policy" in p for p in watch.problems), watch.problems
    watch.problems.clear()
