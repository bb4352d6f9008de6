"""Many members at once against a real server: seeding, the mixed workload, its ledger, and the checks.

The ledger holds what the server acknowledged (a reply's unique marker got its 303) and every
answer's kind, status and latency; `assert_consistent` then holds the database to it: every
acknowledged reply present exactly once, no marker twice, and every denormalised counter equal to
its rows (thread reply counts, positions and last activity, post reaction counts, unread notices).
"""

import itertools
import random
import statistics
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import db
from app.models import Notice, Post, Reaction, Thread, User
from app.services import reactions
from tests.factories import PASSPHRASE, make_thread, make_user, opening_post
from tests.http import csrf_of
from tests.live import LiveServer

CATEGORIES = ("stories", "coping-tips", "milestones", "general")
REACTION_KINDS = [kind.value for kind in reactions.KINDS]
# One member's next action: reads are most of a forum's traffic, then replies, then encouragement.
MIX = (("front", 20), ("category", 15), ("thread", 25), ("reply", 25), ("react", 15))
REQUEST_TIMEOUT_S = 30  # a bound on one answer, not a measurement


@dataclass(frozen=True)
class Member:
    name: str
    cookies: dict[str, str]
    token: str


@dataclass(frozen=True)
class Forum:
    """What was seeded: the threads and their opening posts, and members signed in over HTTP."""

    thread_ids: list[int]
    post_ids: list[int]
    names: list[str]


def seed(session: Session, *, members: int, threads: int) -> Forum:
    """Members and threads built through the services on the server's database, before it serves."""
    names = [make_user(session, f"Load-Member-{i}").pseudonym for i in range(members)]
    author = make_user(session, "Load-Author")
    made = [
        make_thread(session, author, title=f"Holding on, week {i}", category=CATEGORIES[i % len(CATEGORIES)])
        for i in range(threads)
    ]
    return Forum([t.id for t in made], [opening_post(session, t).id for t in made], names)


def sign_in(server: LiveServer, name: str) -> Member:
    with server.client() as client:
        token = csrf_of(client, "/login")
        answer = client.post(
            "/login", data={"pseudonym": name, "passphrase": PASSPHRASE, "csrf_token": token}
        )
        assert answer.status_code == 303, answer.text
        return Member(name, dict(client.cookies), csrf_of(client))


@dataclass
class Ledger:
    """Thread-safe record of every answer and of what the server acknowledged."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: set[str] = field(default_factory=set)  # reply markers answered 303
    sent: set[str] = field(default_factory=set)  # every reply marker sent, answered or not
    statuses: Counter = field(default_factory=Counter)  # (kind, status or "no answer: <why>")
    latencies: defaultdict = field(default_factory=lambda: defaultdict(list))  # kind -> seconds
    pages: dict = field(default_factory=dict)  # status -> one answer's text, to read its words
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None

    def record(self, kind: str, status: int | str, seconds: float, text: str = "") -> None:
        with self.lock:
            self.statuses[kind, status] += 1
            if isinstance(status, int):
                self.latencies[kind].append(seconds)
                if status >= 500:
                    self.pages.setdefault(status, text)

    def count(self, predicate) -> int:
        with self.lock:
            return sum(n for (kind, status), n in self.statuses.items() if predicate(kind, status))

    def server_errors(self) -> int:
        return self.count(lambda _kind, status: isinstance(status, int) and status >= 500)

    def summary(self, title: str) -> str:
        """Requests per kind, rate, p50/p99 latency and the statuses seen, as lines for the report."""
        with self.lock:
            seconds = (self.ended or time.monotonic()) - self.started
            total = sum(self.statuses.values())
            lines = [f"{title}: {total} requests in {seconds:.1f} s ({total / seconds:.0f}/s)"]
            for kind in sorted({k for k, _ in self.statuses}):
                times = sorted(self.latencies[kind])
                by_status = ", ".join(
                    f"{status}: {n}" for (k, status), n in sorted(self.statuses.items(), key=str) if k == kind
                )
                p50 = statistics.median(times) * 1000 if times else 0
                p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000 if times else 0
                lines.append(
                    f"  {kind:<9} {sum(n for (k, _), n in self.statuses.items() if k == kind):>6}"
                    f"  p50 {p50:6.0f} ms  p99 {p99:6.0f} ms  ({by_status})"
                )
            lines.append(f"  acknowledged replies: {len(self.acknowledged)} of {len(self.sent)} sent")
            return "\n".join(lines)


_markers = itertools.count(1)


class Workload:
    """`connections` members, each on its own connection, acting at random until stop()."""

    def __init__(self, server: LiveServer, forum: Forum, members: list[Member], ledger: Ledger, *, seed=0):
        self.server, self.forum, self.members, self.ledger = server, forum, members, ledger
        self.halt = threading.Event()
        self.random = random.Random(seed)
        self.threads = [
            threading.Thread(target=self._run, args=(m, random.Random(seed * 1000 + i)), daemon=True)
            for i, m in enumerate(members)
        ]

    def start(self) -> "Workload":
        self.ledger.started = time.monotonic()
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> None:
        self.halt.set()
        for t in self.threads:
            t.join(timeout=REQUEST_TIMEOUT_S + 5)
        self.ledger.ended = time.monotonic()

    def _run(self, member: Member, rng: random.Random) -> None:
        kinds, weights = zip(*MIX, strict=True)
        with httpx.Client(
            base_url=self.server.url,
            cookies=member.cookies,
            timeout=REQUEST_TIMEOUT_S,
            follow_redirects=False,
        ) as client:
            while not self.halt.is_set():
                kind = rng.choices(kinds, weights)[0]
                self._act(client, member, kind, rng)

    def _act(self, client: httpx.Client, member: Member, kind: str, rng: random.Random) -> None:
        forum, marker = self.forum, None
        if kind == "front":
            method, path, data = "GET", "/", None
        elif kind == "category":
            method, path, data = "GET", f"/c/{rng.choice(CATEGORIES)}", None
        elif kind == "thread":
            method, path, data = "GET", f"/t/{rng.choice(forum.thread_ids)}", None
        elif kind == "reply":
            marker = f"marker-{member.name}-{next(_markers)}"
            body = f"Still going, one day at a time. {marker}"
            method, path = "POST", f"/t/{rng.choice(forum.thread_ids)}/reply"
            data = {"body": body, "csrf_token": member.token}
        else:
            post_id, react = rng.choice(forum.post_ids), rng.choice(REACTION_KINDS)
            method, path, data = "POST", f"/p/{post_id}/react/{react}", {"csrf_token": member.token}
        if marker:
            with self.ledger.lock:
                self.ledger.sent.add(marker)
        began = time.monotonic()
        try:
            answer = client.request(method, path, data=data)
        except httpx.TransportError as exc:
            self.ledger.record(kind, f"no answer: {type(exc).__name__}", time.monotonic() - began)
            time.sleep(0.05)  # the server is down: do not spin
            return
        self.ledger.record(kind, answer.status_code, time.monotonic() - began, answer.text)
        if marker and answer.status_code == 303:
            with self.ledger.lock:
                self.ledger.acknowledged.add(marker)


def marker_of(body: str) -> str | None:
    found = body.rsplit(" ", 1)[-1]
    return found if found.startswith("marker-") else None


def assert_consistent(ledger: Ledger) -> dict[str, int]:
    """Every acknowledged reply is stored exactly once and every counter equals its rows; returns figures."""
    with db.new_session() as s:
        bodies = s.scalars(select(Post.body_source).where(Post.body_source.like("%marker-%"))).all()
        stored = Counter(marker_of(b) for b in bodies)
        twice = {m: n for m, n in stored.items() if n > 1}
        assert not twice, f"replies stored more than once: {sorted(twice)[:5]}"
        lost = ledger.acknowledged - stored.keys()
        assert not lost, f"{len(lost)} acknowledged replies lost, e.g. {sorted(lost)[:5]}"
        assert stored.keys() <= ledger.sent, "a reply nobody sent"
        _assert_thread_counters(s)
        _assert_reaction_counts(s)
        _assert_unread_counts(s)
        return {"acknowledged": len(ledger.acknowledged), "stored": len(stored), "sent": len(ledger.sent)}


def _assert_thread_counters(s: Session) -> None:
    replies = (
        select(
            Post.thread_id,
            func.count().filter(Post.position > 0).label("replies"),
            func.count(func.distinct(Post.position)).filter(Post.position > 0).label("positions"),
            func.max(Post.position).label("last_position"),
            func.max(Post.created_at).filter(Post.position >= 0).label("last_post"),
        )
        .group_by(Post.thread_id)
        .subquery()
    )
    rows = s.execute(
        select(Thread.id, Thread.reply_count, Thread.last_activity_at, replies).join(
            replies, replies.c.thread_id == Thread.id
        )
    ).all()
    assert rows, "no threads to check"
    for row in rows:
        assert row.reply_count == row.replies == row.positions == row.last_position, row
        assert row.last_activity_at == row.last_post, row


def _assert_reaction_counts(s: Session) -> None:
    by_kind = select(Reaction.post_id, Reaction.kind, func.count()).group_by(Reaction.post_id, Reaction.kind)
    counted = Counter({(post_id, kind): n for post_id, kind, n in s.execute(by_kind)})
    columns = [getattr(Post, reactions.COLUMN[k]) for k in REACTION_KINDS]
    for post_id, *stored in s.execute(select(Post.id, *columns)):
        for kind, value in zip(REACTION_KINDS, stored, strict=True):
            assert value == counted[post_id, kind], (post_id, kind, value, counted[post_id, kind])


def _assert_unread_counts(s: Session) -> None:
    by_member = select(Notice.user_id, func.count()).where(Notice.unread).group_by(Notice.user_id)
    unread = dict(s.execute(by_member).all())
    for user_id, stored in s.execute(select(User.id, User.notices_unread)):
        assert stored == unread.get(user_id, 0), (user_id, stored, unread.get(user_id, 0))
