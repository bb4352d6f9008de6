"""What every page tells the browser: the security headers, and how htmx may behave on it.

Framework-free, so the benchmark's raw ASGI baseline (bench/baseline_render.py) sends the same.
"""

import json

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

HTMX_CONFIG = json.dumps(
    {
        "allowEval": False,
        "allowScriptTags": False,
        "includeIndicatorStyles": False,
        "historyCacheSize": 0,
        # Swapped-in forms are wired up when content settles; with the default 20 ms delay a quick
        # second press (a double-click on a reaction) falls back to a full page POST.
        "defaultSettleDelay": 0,
        "selfRequestsOnly": True,
        "responseHandling": [
            {"code": "204", "swap": False},
            # Our own error answers are fragments meant to be shown (they retarget themselves).
            {"code": "^(2..|3..|400|403|404|409|413|422|429|500|503)$", "swap": True},
            {"code": "...", "swap": False, "error": True},
        ],
    }
)
