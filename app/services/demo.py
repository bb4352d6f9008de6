"""Demo and benchmark content: realistic threads, replies and encouragement, inserted in bulk."""

import random
import secrets
from datetime import timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.models import Category, Post, Reaction, Thread, User, utcnow
from app.services import accounts, pseudonyms, reactions, text
from app.services.reactions import COLUMN

TITLES = [
    "Day 30 today, and I did not expect to feel this calm",
    "What do you do in the first ten minutes of a craving?",
    "Telling my sister was easier than I feared",
    "Sleep is finally coming back",
    "A relapse, and trying again",
    "Small thing that helped: a walk before coffee",
    "One year. Thank you all.",
    "Evenings are the hardest part for me",
    "How do you handle parties and weddings?",
    "Writing a letter to my future self",
]
BODIES = [
    "I wanted to write this down while it is fresh. The **first week** was the hardest, but it got a little "
    "easier each day.\n\n> One hour at a time, then one day at a time.\n\nThank you for being here.",
    "What works for me:\n\n- a glass of cold water\n- texting someone from my group\n- ten slow breaths\n\n"
    "Would love to hear yours.",
    "I was scared to say it out loud. She just listened. *That was all I needed.*",
    "For months I slept three hours a night. This week I slept six, twice. Small wins count.",
    "I slipped last weekend. I am not starting from zero: I am starting from experience. Back to meetings.",
]
REPLIES = [
    "This gave me hope today. Thank you for sharing.",
    "Same here. The evenings are long, but they do pass.",
    "Proud of you. Keep going.",
    "I keep a list on my phone of reasons. Reading it helps when the craving hits.",
    "Sending strength your way.",
]


def _members(session: Session, count: int) -> list[int]:
    # Demo members cannot sign in: their passphrase is random and thrown away.
    unusable = accounts.hash_secret(secrets.token_urlsafe(24))
    rows, seen = [], set()
    while len(rows) < count:
        name = pseudonyms.suggest()
        key = pseudonyms.skeleton(name)
        if key in seen or pseudonyms.taken(session, name=name, now=utcnow()):
            continue
        seen.add(key)
        rows.append(
            {
                "pseudonym": name,
                "pseudonym_key": pseudonyms.key(name),
                "pseudonym_skeleton": key,
                "passphrase_hash": unusable,
                "recovery_hash": unusable,
                "role": "member",
                "created_at": utcnow(),
            }
        )
    session.execute(insert(User), rows)
    return list(session.scalars(select(User.id).order_by(User.id.desc()).limit(count)))


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Thread))


def seed(session: Session, *, threads: int = 12, replies: int = 4, reactions: int = 3, seed: int = 7) -> int:
    """Fill the database with threads and replies; one transaction. Returns threads made."""
    rng = random.Random(seed)
    member_ids = _members(session, max(6, min(200, threads // 5 + 6)))
    category_ids = list(session.scalars(select(Category.id)))
    rendered = {b: text.render_markdown(b) for b in BODIES + REPLIES}
    now = utcnow()
    post_rows = []
    for i in range(threads):
        started = now - timedelta(hours=(threads - i) * 3)
        thread = Thread(
            category_id=rng.choice(category_ids),
            author_id=rng.choice(member_ids),
            title=rng.choice(TITLES),
            created_at=started,
            last_activity_at=started + timedelta(minutes=replies * 7),
            reply_count=replies,
        )
        session.add(thread)
        session.flush()
        for position in range(replies + 1):
            body = rng.choice(BODIES) if position == 0 else rng.choice(REPLIES)
            if position == 0 and "slipped" in body:
                thread.content_note_kinds = "relapse"  # the opening post's kinds, copied for lists
            post_rows.append(
                {
                    "thread_id": thread.id,
                    "author_id": rng.choice(member_ids),
                    "position": position,
                    "body_source": body,
                    "body_html": rendered[body],
                    "sanitizer_version": text.SANITIZER_VERSION,
                    "content_note": "relapse details" if "slipped" in body else "",
                    "content_note_kinds": "relapse" if "slipped" in body else "",
                    "created_at": started + timedelta(minutes=position * 7),
                    "status": "visible",
                }
            )
        if len(post_rows) > 5000:
            session.execute(insert(Post), post_rows)
            post_rows = []
    if post_rows:
        session.execute(insert(Post), post_rows)
    if reactions:
        _react(session, rng, member_ids, reactions)
    session.commit()
    return threads


def _react(session: Session, rng: random.Random, member_ids: list[int], per_post: int) -> None:
    post_ids = list(session.scalars(select(Post.id)))
    kinds = list(COLUMN)
    rows, seen = [], set()
    for post_id in post_ids:
        for _ in range(rng.randint(0, per_post)):
            row = (post_id, rng.choice(member_ids), rng.choice(kinds))
            if row not in seen:
                seen.add(row)
                rows.append({"post_id": row[0], "user_id": row[1], "kind": row[2], "created_at": utcnow()})
    for start in range(0, len(rows), 5000):
        session.execute(insert(Reaction), rows[start : start + 5000])
    reactions.recount(session)
