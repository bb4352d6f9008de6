"""Demo and benchmark content: a realistic, long-tailed forum from a fixed seed, inserted in bulk.

Everything is planned in Python first (who wrote what, when, and who pressed which encouragement),
so every stored counter is written with its row and no recount pass runs over the tables. Threads
start in order over `SPAN`; replies follow their thread in time; post ids follow time too, as they
would on a real forum. The same arguments, seed and `now` give the same rows.
"""

import itertools
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from app.config import get_settings
from app.models import Category, Post, PostStatus, Reaction, Report, ReportStatus, Thread, User, utcnow
from app.services import accounts, pseudonyms, reporting
from app.services import text as text_service
from app.services.reactions import COLUMN

SPAN = timedelta(days=180)  # how far back the first thread starts
BATCH = 5000  # rows per executemany: large enough to amortise, small enough to keep memory flat
REPLY_TAIL = (1.5, 0.8)  # Pareto shape and offset of replies per thread: most a few, some thousands
REACTION_TAIL = (1.5, 1.0)  # of encouragements per post: many none, a few hundreds
TAIL_CAP = 2000.0  # no single weight above this many times the smallest (keeps one draw from taking all)
ANONYMOUS_SHARE = 0.04  # posts made "as a member"

TITLES = [
    "Day {n} today, and I did not expect to feel this calm",
    "What do you do in the first ten minutes of a craving?",
    "Telling my sister was easier than I feared",
    "Sleep is finally coming back",
    "A relapse, and trying again",
    "Small thing that helped: a walk before coffee",
    "{n} days. Thank you all.",
    "Evenings are the hardest part for me",
    "How do you handle parties and weddings?",
    "Writing a letter to my future self",
    "Week {n}: the fog is lifting a little",
    "Back from my first meeting in years",
    "Cravings at work, any tips?",
    "My partner does not understand, and that is hard",
    "Cooking again, one meal at a time",
]
OPENINGS = [
    "I wanted to write this down while it is fresh. The **first week** was the hardest, but it got a "
    "little easier each day.",
    "What works for me:\n\n- a glass of cold water\n- texting someone from my group\n- ten slow breaths",
    "I was scared to say it out loud. She just listened. *That was all I needed.*",
    "For months I slept three hours a night. This week I slept six, twice. Small wins count.",
    "Some days I feel like I am carrying a bag of stones up a hill, and some days the bag is lighter.",
    "My counsellor asked me what I would tell a friend in my place. I had an answer for a friend, "
    "but not for me.",
    "I made a list of the places and people that pull me back. It is shorter than I thought.",
]
MIDDLES = [
    "> One hour at a time, then one day at a time.",
    "The mornings are better now. The evenings still ask a lot of me.",
    "I keep my phone in the other room after nine, which sounds silly but helps.",
    "I went for a long walk by the river and came back with a clearer head.",
    "Writing here helps more than I expected. Reading your stories helps even more.",
    "I told myself I would wait twenty minutes before deciding anything. The wave passed.",
    "1. Eat something\n2. Drink water\n3. Call someone\n4. Then decide",
]
CLOSINGS = [
    "Thank you for being here.",
    "Would love to hear what works for you.",
    "Still here, still trying.",
    "Sending strength to anyone who needs it tonight.",
    "",
]
RELAPSE = (
    "I slipped last weekend. I am not starting from zero: I am starting from experience. Back to meetings."
)
REPLIES = [
    "This gave me hope today. Thank you for sharing.",
    "Same here. The evenings are long, but they do pass.",
    "Proud of you. Keep going.",
    "I keep a list on my phone of reasons. Reading it helps when the craving hits.",
    "Sending strength your way.",
    "That first week is brutal. You got through it, and that counts.",
    "I needed to read this tonight. **Thank you.**",
    "What helped me was having one person I could text, any hour, no explanation needed.",
    "> Small wins count.\n\nThey really do.",
    "I relate to this so much. You are not alone in it.",
]
NOTE = "relapse details"
# Core tables: plain executemany, no ORM bookkeeping per row; so every column is given.
USERS, THREADS, POSTS = User.__table__, Thread.__table__, Post.__table__
REACTIONS, REPORTS = Reaction.__table__, Report.__table__


@dataclass(frozen=True)
class Seeded:
    threads: int
    posts: int
    reactions: int
    reports: int
    members: int


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Thread))


def default_members(threads: int) -> int:
    return max(6, min(200, threads // 5 + 6))


def _bodies(rng: random.Random) -> tuple[list[str], list[str]]:
    """Opening posts of one to four paragraphs and replies of one or two: a varied, fixed pool."""
    openings, replies = set(), set()
    for first, closing in itertools.product(OPENINGS, CLOSINGS):
        for _ in range(6):
            middle = rng.sample(MIDDLES, rng.randint(0, 2))
            openings.add("\n\n".join(p for p in [first, *middle, closing] if p))
    for first in REPLIES:
        replies.add(first)
        for extra in rng.sample(MIDDLES, 3):
            replies.add(f"{first}\n\n{extra}")
    return sorted(openings) + [RELAPSE], sorted(replies)


def _long_tail(
    rng: random.Random, total: int, n: int, shape: float, floor: float, cap: int | None = None
) -> list[int]:
    """n whole counts summing to `total` (at most n * cap), in proportion to Pareto draws less `floor`."""
    if n == 0:
        return []
    cap = total if cap is None else cap
    total = min(total, n * cap)
    weights = [min(rng.paretovariate(shape) - floor, TAIL_CAP) for _ in range(n)]
    scale = total / (sum(weights) or 1.0)
    counts = [min(cap, int(w * scale)) for w in weights]
    # What rounding and the cap left over goes one by one to draws with room, the heavier first.
    short = total - sum(counts)
    order = sorted(range(n), key=lambda i: -weights[i])
    while short:
        for i in order:
            if short and counts[i] < cap:
                counts[i] += 1
                short -= 1
    return counts


def _members(session: Session, rng: random.Random, count: int, now: datetime) -> list[int]:
    # Demo members cannot sign in: their passphrase is random and thrown away.
    unusable = accounts.hash_secret(secrets.token_urlsafe(24))
    taken = set(session.scalars(select(User.pseudonym_skeleton)))
    joined = now - SPAN - timedelta(days=30)
    # Two-digit numbers as the join page suggests, four when that would leave too few names free.
    numbers = 90 if count <= len(pseudonyms.ADJECTIVES) * len(pseudonyms.NOUNS) * 90 // 4 else 9990
    rows = []
    while len(rows) < count:
        adjective, noun = rng.choice(pseudonyms.ADJECTIVES), rng.choice(pseudonyms.NOUNS)
        name = f"{adjective}-{noun}-{rng.randrange(numbers) + 10}"
        skeleton = pseudonyms.skeleton(name)
        if skeleton in taken or pseudonyms.taken(session, name=name, now=now):
            continue
        taken.add(skeleton)
        rows.append(
            {
                "pseudonym": name,
                "pseudonym_key": pseudonyms.key(name),
                "pseudonym_skeleton": skeleton,
                "passphrase_hash": unusable,
                "recovery_hash": unusable,
                "role": "member",
                "created_at": joined + timedelta(seconds=rng.randrange(30 * 86400)),
            }
        )
    return _insert_numbered(session, USERS, rows)


def _insert_numbered(session: Session, table, rows: list[dict], first: int | None = None) -> list[int]:
    """Insert with ids given here, after the highest in use: a plain executemany, no RETURNING
    (SQLite would take it one row at a time). PostgreSQL's sequence is moved past them after."""
    if first is None:
        first = (session.scalar(select(func.max(table.c.id))) or 0) + 1
    ids = list(range(first, first + len(rows)))
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    _load(session, table, rows)
    return ids


def _load(session: Session, table, rows: list[dict]) -> None:
    """Bulk insert: COPY on PostgreSQL (several times faster than executemany), executemany on SQLite."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        for start in range(0, len(rows), BATCH):
            session.execute(insert(table), rows[start : start + BATCH])
        return
    columns = list(rows[0])
    cursor = session.connection().connection.driver_connection.cursor()
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _advance_sequences(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        for table in (USERS, THREADS, POSTS):
            sequence = func.pg_get_serial_sequence(f'"{table.name}"', "id")
            session.execute(select(func.setval(sequence, select(func.max(table.c.id)).scalar_subquery())))


def _big_cache(session: Session) -> int | None:
    """SQLite: a page cache that holds the indexes being filled (256 MB, this connection only), else
    every random insert into the reaction and author indexes rewrites pages. The old size back."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    before = session.scalar(text("PRAGMA cache_size"))
    session.execute(text("PRAGMA cache_size = -262144"))
    return before


def _search_index_off(session: Session) -> list[str]:
    """Drop what keeps the search index in step row by row for the load; the SQL to bring it back.

    SQLite: the per-row FTS5 trigger (one INSERT ... SELECT after is faster). PostgreSQL: the
    expression GIN indexes (one CREATE INDEX after is several times faster than growing them).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        found = session.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name = 'post_search_insert'")
        ).all()
        drop = "DROP TRIGGER {}"
    elif dialect == "postgresql":
        found = session.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE indexname IN ('ix_post_search', 'ix_thread_search')"
            )
        ).all()
        drop = "DROP INDEX {}"
    else:
        return []
    for name, _ in found:
        session.execute(text(drop.format(name)))
    return [sql for _, sql in found]


def _search_index_on(session: Session, restore: list[str], first_post_id: int) -> None:
    """Index the loaded posts as the trigger would have (migration 0020's row), then restore it."""
    if restore and session.get_bind().dialect.name == "sqlite":
        session.execute(
            text(
                "INSERT INTO post_search (rowid, title, body) "
                "SELECT post.id, CASE WHEN post.position = 0 THEN thread.title ELSE '' END, post.body_source "
                "FROM post JOIN thread ON thread.id = post.thread_id "
                "WHERE post.status = 'visible' AND post.id >= :first"
            ),
            {"first": first_post_id},
        )
    for sql in restore:
        session.execute(text(sql))


def seed(
    session: Session,
    *,
    threads: int = 12,
    replies: int = 4,
    reactions: int = 3,
    members: int | None = None,
    reports: int = 0,
    longest: int = 0,
    seed: int = 7,
    now: datetime | None = None,
) -> Seeded:
    """Add `threads` threads, `threads * replies` replies and `posts * reactions` encouragements.

    Replies per thread and encouragements per post are long-tailed; `longest` replies go to one
    thread of their own (part of the total). `reports` open reports, below the auto-hide threshold
    on every post. One transaction; every counter the pages read is written with its row.
    """
    rng = random.Random(seed)
    now = now or utcnow()
    cache = _big_cache(session)
    member_ids = _members(session, rng, members or default_members(threads), now)
    category_ids = list(session.scalars(select(Category.id).order_by(Category.id)))
    openings, reply_bodies = _bodies(rng)
    rendered = {b: text_service.render_markdown(b) for b in openings + reply_bodies}
    # Some members write much more than others.
    author_weights = list(itertools.accumulate(rng.paretovariate(1.5) for _ in member_ids))

    total_replies = threads * replies
    longest = min(longest, total_replies) if threads else 0
    per_thread = _long_tail(rng, total_replies - longest, threads - (1 if longest else 0), *REPLY_TAIL)
    if longest:
        per_thread.insert(rng.randrange(threads), longest)
    span = SPAN.total_seconds()
    end = now.timestamp() - 60
    starts = sorted(rng.uniform(end - span, end) for _ in range(threads))
    thread_authors = rng.choices(member_ids, cum_weights=author_weights, k=threads)
    opening_of = [rng.randrange(len(openings)) for _ in range(threads)]
    anonymous = [rng.random() < ANONYMOUS_SHARE for _ in range(threads)]

    # (when, thread index, position) of every post, in time order: post ids follow time.
    plan = []
    last_at = []
    for t, (start, count) in enumerate(zip(starts, per_thread, strict=True)):
        plan.append((start, t, 0))
        # A thread stays active for a while after it starts; a long one, for most of the time left.
        until = start + (end - start) * (rng.random() ** (1 / (1 + count / 50)))
        times = sorted(rng.uniform(start, until) for _ in range(count))
        plan += [(when, t, p) for p, when in enumerate(times, start=1)]
        last_at.append(times[-1] if times else start)
    plan.sort()

    thread_rows = [
        {
            # Every category gets a thread, even in a small demo; then they fall where they may.
            "category_id": category_ids[t] if t < len(category_ids) else rng.choice(category_ids),
            "author_id": thread_authors[t],
            "title": rng.choice(TITLES).format(n=rng.randint(3, 400)),
            "created_at": datetime.fromtimestamp(starts[t], UTC),
            "last_activity_at": datetime.fromtimestamp(last_at[t], UTC),
            "reply_count": per_thread[t],
            "pinned": False,
            "locked": False,
            "status": PostStatus.visible,
            "anonymous": anonymous[t],
            "content_note_kinds": "relapse" if openings[opening_of[t]] == RELAPSE else "",
        }
        for t in range(threads)
    ]
    thread_ids = _insert_numbered(session, THREADS, thread_rows)
    del thread_rows

    total_reactions = len(plan) * reactions
    pairs = len(member_ids) * len(COLUMN)  # one of each kind per member per post
    per_post = _long_tail(rng, total_reactions, len(plan), *REACTION_TAIL, cap=pairs)
    kinds = list(COLUMN)
    restore = _search_index_off(session)
    next_post_id = first_post_id = (session.scalar(select(func.max(Post.id))) or 0) + 1
    made_reactions = 0
    reportable: list[tuple[int, int, str, float]] = []  # post id, author id, body, when
    # Enough candidates for the reports, picked along the way: an even spread over time.
    report_share = min(1.0, 2 * reports / max(len(plan), 1))
    for start in range(0, len(plan), BATCH):
        chunk = plan[start : start + BATCH]
        post_rows, pressed = [], []
        for i, (when, t, position) in enumerate(chunk, start=start):
            if position == 0:
                body, author = openings[opening_of[t]], thread_authors[t]
            else:
                body = rng.choice(reply_bodies)
                author = rng.choices(member_ids, cum_weights=author_weights)[0]
            chosen = rng.sample(range(pairs), per_post[i])
            counts = dict.fromkeys(COLUMN.values(), 0)
            for pair in chosen:
                counts[COLUMN[kinds[pair % len(kinds)]]] += 1
            pressed.append(chosen)
            note = NOTE if body == RELAPSE else ""
            post_rows.append(
                {
                    "thread_id": thread_ids[t],
                    "author_id": author,
                    "position": position,
                    "body_source": body,
                    "body_html": rendered[body],
                    "sanitizer_version": text_service.SANITIZER_VERSION,
                    "content_note": note,
                    "content_note_kinds": "relapse" if note else "",
                    "created_at": datetime.fromtimestamp(when, UTC),
                    "status": PostStatus.visible,
                    "moderation_reason": "",
                    "anonymous": anonymous[t] if position == 0 else rng.random() < ANONYMOUS_SHARE,
                    **counts,
                }
            )
        post_ids = _insert_numbered(session, POSTS, post_rows, first=next_post_id)
        next_post_id += len(post_rows)
        reaction_rows = []
        for post_id, row, chosen in zip(post_ids, post_rows, pressed, strict=True):
            after = row["created_at"].timestamp()
            for pair in chosen:
                at = after + (end - after) * rng.random() ** 4  # most soon after the post
                reaction_rows.append(
                    {
                        "post_id": post_id,
                        "user_id": member_ids[pair // len(kinds)],
                        "kind": kinds[pair % len(kinds)],
                        "created_at": datetime.fromtimestamp(at, UTC),
                    }
                )
            if rng.random() < report_share:
                reportable.append((post_id, row["author_id"], row["body_source"], after))
        _load(session, REACTIONS, reaction_rows)
        made_reactions += len(reaction_rows)
    _search_index_on(session, restore, first_post_id)
    if cache is not None:
        session.execute(text(f"PRAGMA cache_size = {int(cache)}"))
    _advance_sequences(session)
    made_reports = _report(session, rng, member_ids, reportable, reports, end)
    session.commit()
    return Seeded(threads, len(plan), made_reactions, made_reports, len(member_ids))


def _report(
    session: Session,
    rng: random.Random,
    member_ids: list[int],
    posts: list[tuple[int, int, str, float]],
    count: int,
    end: float,
) -> int:
    """`count` open reports by several members, never enough on one post to hide it."""
    most = max(1, get_settings().report_hide_threshold - 1)
    reasons = [r.value for r in reporting.REASONS if r.value != reporting.OTHER]
    reporters = member_ids[: max(2, min(len(member_ids), 60))]
    rows = []
    rng.shuffle(posts)
    for post_id, author_id, body, after in posts:
        others = [m for m in reporters if m != author_id]
        for reporter in rng.sample(others, min(len(others), rng.randint(1, most), count - len(rows))):
            at = after + (end - after) * rng.random()
            rows.append(
                {
                    "post_id": post_id,
                    "reporter_id": reporter,
                    "reason": rng.choice(reasons),
                    "note": rng.choice(["", "", "This worried me.", "Please have a look."]),
                    "snapshot": body,
                    "created_at": datetime.fromtimestamp(at, UTC),
                    "status": ReportStatus.open,
                }
            )
        if len(rows) >= count:
            break
    rows.sort(key=lambda r: r["created_at"])
    _load(session, REPORTS, rows)
    return len(rows)
