from sqlalchemy import func, select

from app.cli import main
from app.models import Post, Thread, User
from tests.factories import make_user


def test_promote_gives_a_role(session, capsys):
    make_user(session, "Calm-River-12")
    assert main(["promote", "calm-river-12", "--role", "moderator"]) == 0
    assert "now moderator" in capsys.readouterr().out
    session.expire_all()
    assert session.scalar(select(User.role).where(User.pseudonym == "Calm-River-12")) == "moderator"


def test_promote_an_unknown_member_fails_with_words(database_url, capsys):
    assert main(["promote", "Nobody", "--role", "admin"]) == 1
    assert "No member is called" in capsys.readouterr().err


def test_seed_demo_fills_an_empty_forum_once_with_consistent_counts(session):
    assert main(["seed-demo", "--if-empty", "--threads", "30", "--replies", "3"]) == 0
    assert main(["seed-demo", "--if-empty"]) == 0
    assert session.scalar(select(func.count()).select_from(Thread)) == 30
    assert session.scalar(select(func.count()).select_from(Post)) == 120
    from app.models import Reaction

    reactions = session.scalar(select(func.count()).select_from(Reaction))
    stored = session.scalar(
        select(
            func.sum(
                Post.hug_count
                + Post.strength_count
                + Post.thanks_count
                + Post.metoo_count
                + Post.celebrate_count
            )
        )
    )
    assert reactions == stored


def test_resanitize_rerenders_every_post(session):
    main(["seed-demo", "--threads", "3", "--replies", "1"])
    session.execute(Post.__table__.update().values(body_html="stale", sanitizer_version=0))
    session.commit()
    assert main(["resanitize"]) == 0
    session.expire_all()
    assert "stale" not in set(session.scalars(select(Post.body_html)))


def test_migrate_is_idempotent(database_url):
    assert main(["migrate"]) == 0
