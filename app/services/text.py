"""The text pipeline: Markdown -> HTML, sanitised twice. The only importer of bleach and nh3."""

import re
from functools import lru_cache

import bleach
import nh3
from bleach.linkifier import Linker
from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import db
from app.models import Post, TalkMessage

# Bump when the policy below changes; `peerbearing resanitize` re-renders older posts.
SANITIZER_VERSION = 1

ALLOWED_TAGS = {"p", "br", "em", "strong", "blockquote", "ul", "ol", "li", "code", "pre", "a"}
ALLOWED_ATTRIBUTES = {"a": ["href", "rel"]}
ALLOWED_PROTOCOLS = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener noreferrer"
MAX_BODY = 20_000
# C0 and C1 control characters and DEL, except tab, line feed and carriage return.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_controls(value: str) -> str:
    """Text as typed, without NUL and the other control characters (tab and line breaks kept)."""
    return _CONTROLS.sub("", value)


@lru_cache
def _markdown() -> MarkdownIt:
    # js-default: raw HTML off, links validated; headings, images and tables disabled as not allowed.
    md = MarkdownIt("js-default")
    md.disable(["image", "heading", "lheading", "table", "hr"], ignoreInvalid=True)
    return md


def _set_rel(attrs, new=False):
    href_key = (None, "href")
    if href_key in attrs:
        attrs[(None, "rel")] = LINK_REL
    return attrs


# No skip_tags: bleach 6.x escapes entities twice inside skipped tags.
_linker = Linker(callbacks=[_set_rel])


def render_markdown(source: str) -> str:
    """Markdown as typed -> safe HTML: markdown-it-py, bleach, bleach linkify, then nh3."""
    html = _markdown().render(source)
    html = bleach.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS, strip=True
    )
    html = _linker.linkify(html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes=ALLOWED_PROTOCOLS,
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


def plain_text(html_or_source: str) -> str:
    """Text without any markup, for snapshots and snippets."""
    return nh3.clean(html_or_source, tags=set()).strip()


def resanitize_all(session: Session, *, batch: int = 500) -> int:
    """Re-render every post and private message with a body under the current policy and stamp its
    version. Commits per batch."""
    return sum(_resanitize(session, model, batch=batch) for model in (Post, TalkMessage))


def _resanitize(session: Session, model, *, batch: int) -> int:
    done, last_id = 0, 0
    while True:
        rows = list(
            session.scalars(
                select(model).where(model.id > last_id).order_by(model.id).limit(db.row_limit(batch))
            )
        )
        if not rows:
            return done
        for row in rows:
            if row.body_source:
                row.body_html = render_markdown(row.body_source)
                row.sanitizer_version = SANITIZER_VERSION
                done += 1
        last_id = rows[-1].id
        session.commit()
