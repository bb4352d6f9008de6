"""Search over thread titles and the words of visible posts: ranked, paged, with marked snippets.

SQLite searches the FTS5 table `post_search`; PostgreSQL the expression GIN indexes over
`to_tsvector('simple', ...)` (both made by migration 0020, and kept in step by triggers or by
being expressions of the row). Either way the query also checks that the post is visible and
its thread is visible, so nothing hidden, removed, deleted or erased is ever returned.

The query is never passed through as search syntax: it is split into words, and each word is
matched as a plain term (FTS5: `"word"` with quotes doubled; PostgreSQL: plainto_tsquery of
those words), all of them required. So "or", "-", "*", "NEAR" and quotes mean nothing special,
and both engines read a query the same way.

Paging is by offset, capped at MAX_PAGES pages: a rank is a score over the whole index and
moves with every write, so a keyset on (rank, id) would not be stable either; an offset is
simple, the cap bounds its cost, and nobody reads the tenth page of search results.
"""

import html
import re
import unicodedata
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import User
from app.services import content_notes, reading, text

MAX_QUERY = 200
MIN_QUERY = 2
MAX_TERMS = 12
MAX_PAGES = 5
SNIPPET_WORDS = 36  # words shown around the first match
WORD = re.compile(r"[^\W_]+")  # letters and digits of any script, as both tokenizers see words


@dataclass
class Hit:
    thread_id: int
    title: Markup  # escaped, matched words marked; the placeholder when the reader hides the thread's note
    post_id: int
    position: int
    page_cursor: int | None  # the `after` of the thread page that holds the post
    snippet: Markup  # escaped, matched words marked; empty unless this reader shows the post's note open
    content_note: str  # the note's words, shown instead of the folded words ("" unless folded)
    note: content_notes.Note  # the post's note as this reader chose to meet it (hide: a placeholder)
    rank: float
    category_slug: str
    category_name: str
    byline: reading.Byline  # who wrote the post: "a member" when it was posted as one


@dataclass
class Results:
    q: str
    hits: list[Hit] = field(default_factory=list)
    next_cursor: str | None = None
    hint: str = ""  # a gentle word when there was nothing to search for
    cursor: str | None = None


def _fold(word: str) -> str:
    """Case and accents folded, as FTS5's unicode61 (remove_diacritics 2) compares words."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def terms_of(q: str) -> list[str]:
    """The words of a query, once each, in order, at most MAX_TERMS."""
    seen: dict[str, None] = {}
    for word in WORD.findall(unicodedata.normalize("NFKC", q)):
        seen.setdefault(word.lower(), None)  # lower(), as both engines fold case
    return list(seen)[:MAX_TERMS]


def fts5_query(terms: list[str]) -> str:
    """Each word a quoted string: FTS5 reads no operator, column filter or prefix in it."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _offset(cursor: str | None, size: int) -> int:
    if cursor and cursor.isdigit() and len(cursor) < 7:
        return min(int(cursor), size * (MAX_PAGES - 1))
    return 0


_SQLITE = sql("""
    SELECT p.id AS post_id, p.position, p.body_html, p.content_note, p.content_note_kinds, p.anonymous,
           t.id AS thread_id, t.title, t.content_note_kinds AS thread_kinds, c.slug, c.name,
           u.pseudonym AS author_name, bm25(post_search, 4.0, 1.0) AS rank
    FROM post_search
    JOIN post p ON p.id = post_search.rowid
    JOIN thread t ON t.id = p.thread_id
    JOIN category c ON c.id = t.category_id
    LEFT JOIN "user" u ON u.id = p.author_id
    WHERE post_search MATCH :query AND p.status = 'visible' AND t.status = 'visible'
      AND NOT EXISTS (SELECT 1 FROM mute m WHERE m.muter_id = :reader
                      AND m.muted_id = p.author_id AND m.as_member = p.anonymous)
    ORDER BY rank, p.id DESC
    LIMIT :limit OFFSET :offset
""")

# Body matches use the partial GIN index on post; title matches the one on thread (opening
# posts only). Titles weigh A, bodies B, as the title is 4x the body on SQLite.
_POSTGRES = sql("""
    WITH q AS (SELECT plainto_tsquery('simple', :query) AS query),
    found AS (
        SELECT p.id FROM post p, q
        WHERE p.status = 'visible' AND to_tsvector('simple', p.body_source) @@ q.query
        UNION
        SELECT p.id FROM thread t JOIN post p ON p.thread_id = t.id AND p.position = 0, q
        WHERE p.status = 'visible' AND to_tsvector('simple', t.title) @@ q.query
    )
    SELECT p.id AS post_id, p.position, p.body_html, p.content_note, p.content_note_kinds, p.anonymous,
           t.id AS thread_id, t.title, t.content_note_kinds AS thread_kinds, c.slug, c.name,
           u.pseudonym AS author_name,
           ts_rank(
               setweight(to_tsvector('simple', CASE WHEN p.position = 0 THEN t.title ELSE '' END), 'A')
               || setweight(to_tsvector('simple', p.body_source), 'B'),
               q.query
           ) AS rank
    FROM found
    JOIN post p ON p.id = found.id
    JOIN thread t ON t.id = p.thread_id
    JOIN category c ON c.id = t.category_id
    LEFT JOIN "user" u ON u.id = p.author_id
    CROSS JOIN q
    WHERE p.status = 'visible' AND t.status = 'visible'
      AND NOT EXISTS (SELECT 1 FROM mute m WHERE m.muter_id = :reader
                      AND m.muted_id = p.author_id AND m.as_member = p.anonymous)
    ORDER BY rank DESC, p.id DESC
    LIMIT :limit OFFSET :offset
""")


def search(
    session: Session,
    *,
    q: str,
    cursor: str | None = None,
    size: int | None = None,
    reader: User | None = None,
) -> Results:
    """Visible posts matching every word of `q`, best first, each note met as the reader chose, but
    those of members the reader muted; read-only."""
    size = size or reading.page_size()
    if len(q) > MAX_QUERY:
        raise InvalidInput(
            f"A search can be up to {MAX_QUERY} characters; this one has {len(q)}. A few words work best.",
            fields={"q": f"Up to {MAX_QUERY} characters, please."},
        )
    terms = terms_of(q)
    if len(q.strip()) < MIN_QUERY or not terms:
        return Results(q=q, hint="Type a word or two to search the forum, for example “cravings” or “sleep”.")
    offset = _offset(cursor, size)
    if session.get_bind().dialect.name == "postgresql":
        statement, query = _POSTGRES, " ".join(terms)
    else:
        statement, query = _SQLITE, fts5_query(terms)
    # Row ids start at 1: a visitor (reader 0) has muted nobody.
    params = {"query": query, "limit": size + 1, "offset": offset, "reader": reader.id if reader else 0}
    rows = session.execute(statement, params).all()
    folded = {_fold(t) for t in terms}
    choices = content_notes.choices_of(reader)
    hits = [_hit(row, folded, choices) for row in rows[:size]]
    more = len(rows) > size and offset + size < size * MAX_PAGES
    return Results(q=q, hits=hits, next_cursor=str(offset + size) if more else None, cursor=cursor)


def _hit(row, folded: set[str], choices: dict[str, str]) -> Hit:
    note = content_notes.decide(row.content_note_kinds, row.content_note, choices)
    opening = content_notes.decide(row.thread_kinds, "", choices)
    hidden_title = opening.choice == content_notes.HIDE
    return Hit(
        thread_id=row.thread_id,
        title=escape(opening.placeholder) if hidden_title else mark(row.title, folded),
        post_id=row.post_id,
        position=row.position,
        page_cursor=reading.page_start_for(row.position),
        snippet=snippet(row.body_html, folded) if note.choice in ("", content_notes.SHOW) else Markup(),
        content_note=note.words if note.choice == content_notes.FOLD else "",
        note=note,
        rank=float(row.rank),
        category_slug=row.slug,
        category_name=row.name,
        byline=reading.listed_byline(row.author_name, anonymous=bool(row.anonymous)),
    )


def _words(plain: str) -> list[tuple[str, bool]]:
    """The text cut into (piece, is_word) pieces that join back to the whole."""
    pieces, at = [], 0
    for m in WORD.finditer(plain):
        if m.start() > at:
            pieces.append((plain[at : m.start()], False))
        pieces.append((m.group(), True))
        at = m.end()
    if at < len(plain):
        pieces.append((plain[at:], False))
    return pieces


def _marked(pieces: list[tuple[str, bool]], folded: set[str]) -> Markup:
    # Every piece is escaped; only our own <mark> tags are added as markup.
    out = Markup()
    for piece, is_word in pieces:
        if is_word and _fold(piece) in folded:
            out += Markup("<mark>{}</mark>").format(piece)
        else:
            out += escape(piece)
    return out


def mark(plain: str, folded: set[str]) -> Markup:
    return _marked(_words(plain), folded)


def snippet(body_html: str, folded: set[str], words: int = SNIPPET_WORDS) -> Markup:
    """A window of plain text around the first matched word: escaped, then marked."""
    # List items would run together once their tags are gone: keep a quiet separator.
    plain = " ".join(html.unescape(text.plain_text(body_html.replace("</li>", " · </li>"))).split())
    pieces = _words(plain)
    word_at = [i for i, (_piece, is_word) in enumerate(pieces) if is_word]
    first = next((n for n, i in enumerate(word_at) if _fold(pieces[i][0]) in folded), 0)
    # Start at the beginning when the match is near it; else a little before the match.
    start_word = 0 if first < words // 2 else first - words // 4
    end_word = min(len(word_at), start_word + words)
    if not word_at:
        return Markup()
    start = word_at[start_word] if start_word else 0
    end = word_at[end_word - 1] + 1 if end_word < len(word_at) else len(pieces)
    out = _marked(pieces[start:end], folded)
    if start:
        out = Markup("… ") + out
    if end < len(pieces):
        out += Markup(" …")
    return out
