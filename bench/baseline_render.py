"""The baseline's rendering: the project's own templates, filters and globals, URLs by pattern.

The same Jinja2 configuration as the app (app/web.py on Starlette's Jinja2Templates: autoescape by
extension), with the filters and globals it registers; the helpers are the app's own pure ones.
The headers and htmx's configuration come from app/browser_policy.py, as the app's do; the few
constants copied from the app are held equal by tests/test_bench_baseline.py.
"""

from datetime import UTC, datetime
from urllib.parse import urlencode

import jinja2

from app.browser_policy import HTMX_CONFIG, SECURITY_HEADERS
from app.config import PROJECT_ROOT, get_settings
from app.models.user import FORMER_MEMBER
from app.services import (
    content_notes,
    crisis_resources,
    moderation_actions,
    notices,
    reactions,
    reporting,
    timewords,
)

KEPT_FIELDS = {"title": "Title", "body": "Your post", "content_note": "Content note", "note": "Your note"}

# Every named route of the app, as a pattern (the test compares each with the app's url_path_for).
ROUTES = {
    "accounts:delete": "/me/delete",
    "accounts:delete_form": "/me/delete",
    "accounts:end_sessions": "/me/sessions/end",
    "accounts:export": "/me/export",
    "accounts:join": "/join",
    "accounts:join_form": "/join",
    "accounts:login": "/login",
    "accounts:login_form": "/login",
    "accounts:logout": "/logout",
    "accounts:me": "/me",
    "accounts:passphrase": "/me/passphrase",
    "accounts:passphrase_form": "/me/passphrase",
    "accounts:recover": "/recover",
    "accounts:recover_form": "/recover",
    "accounts:recovery_code": "/me/recovery-code",
    "accounts:recovery_code_form": "/me/recovery-code",
    "appeals:pause": "/me/appeal",
    "appeals:post": "/p/{post_id}/appeal",
    "milestones:save": "/me/milestones",
    "milestones:show": "/me/milestones",
    "mod:appeal": "/mod/appeals/{appeal_id}",
    "mod:claim": "/mod/reports/{report_id}/claim",
    "mod:decide": "/mod/reports/{report_id}",
    "mod:lock": "/mod/threads/{thread_id}/lock",
    "mod:log": "/mod/log",
    "mod:pin": "/mod/threads/{thread_id}/pin",
    "mod:queue": "/mod",
    "mod:reach_out": "/mod/talk",
    "mod:release": "/mod/reports/{report_id}/release",
    "mod:restore_post": "/mod/posts/{post_id}/restore",
    "mod:talk": "/mod/talk",
    "mod:talk_act": "/mod/talk/{conversation_id}",
    "mod:talk_show": "/mod/talk/{conversation_id}",
    "muting:mute": "/p/{post_id}/mute-author",
    "muting:unmute": "/me/mutes/{mute_id}/delete",
    "notices:settings": "/me/settings/notices",
    "notices:show": "/me/notifications",
    "pages:category": "/c/{slug}",
    "pages:favicon": "/favicon.ico",
    "pages:front": "/",
    "pages:guidelines": "/guidelines",
    "pages:health": "/healthz",
    "pages:help": "/help",
    "pages:robots": "/robots.txt",
    "posts:delete": "/p/{post_id}/delete",
    "posts:edit": "/p/{post_id}/edit",
    "posts:edit_form": "/p/{post_id}/edit",
    "posts:history": "/p/{post_id}/history",
    "posts:publish": "/p/{post_id}/publish",
    "reactions:toggle": "/p/{post_id}/react/{kind}",
    "reports:create": "/p/{post_id}/report",
    "reports:form": "/p/{post_id}/report",
    "search:results": "/search",
    "settings:save": "/me/settings",
    "settings:show": "/me/settings",
    "talk:show": "/talk",
    "talk:write": "/talk",
    "threads:create": "/new",
    "threads:new": "/new",
    "threads:reply": "/t/{thread_id}/reply",
    "threads:show": "/t/{thread_id}",
}
# Patterns without parameters need no formatting at all.
_PLAIN = {name: p for name, p in ROUTES.items() if "{" not in p}


def path_for(name: str, *, anchor: str | None = None, query: dict | None = None, **params) -> str:
    path = _PLAIN.get(name) or ROUTES[name].format(**params)
    if query:
        kept = {k: v for k, v in query.items() if v not in (None, "")}
        if kept:
            path += "?" + urlencode(kept)
    if anchor:
        path += f"#{anchor}"
    return path


@jinja2.pass_context
def _when(context, value: datetime | None) -> str:
    return timewords.ago(value, now=context.get("now") or datetime.now(UTC)) if value else ""


def _optional(words):
    return lambda value: words(value) if value else ""


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PROJECT_ROOT / "templates"),
        autoescape=jinja2.select_autoescape(),
        # Compiled once and kept in a plain dict, as the app's: the files do not change under a server.
        auto_reload=False,
        cache_size=-1,
    )
    env.filters["when"] = _when
    env.filters["iso"] = _optional(timewords.day_iso)
    env.filters["day"] = _optional(timewords.day)
    env.filters["month"] = _optional(timewords.month)
    env.filters["exact"] = _optional(timewords.exact)
    env.filters["exact_iso"] = _optional(timewords.exact_iso)
    env.globals.update(
        htmx_config=HTMX_CONFIG,
        reaction_kinds=reactions.KINDS,
        report_reasons=reporting.REASONS,
        moderation_actions=moderation_actions.ACTIONS,
        former_member=FORMER_MEMBER,
        kept_labels=KEPT_FIELDS,
        note_kinds=content_notes.KINDS,
        note_choice_words=content_notes.CHOICES,
        notice_kinds=notices.KINDS,
        crisis_resources=crisis_resources.current,
        path_for=path_for,
    )
    return env


ENV = _environment()
_templates: dict[str, jinja2.Template] = {}


def template(name: str) -> jinja2.Template:
    found = _templates.get(name)
    if found is None:
        found = _templates[name] = ENV.get_template(name)
    return found


def page_headers() -> list[tuple[bytes, bytes]]:
    """What the app's render() and guard add to every page answer, after content-type and length."""
    headers = [(b"vary", b"HX-Request")]
    headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    if not get_settings().allow_indexing:
        headers.append((b"x-robots-tag", b"noindex, nofollow"))
    headers.append((b"cache-control", b"no-store"))
    return headers
