"""What erasing one post costs in the SQLite search index, at forum scale.

    python bench/erasure_cost.py --rows 1000000

Builds a `post_search`-shaped FTS5 table (same tokenizer) with N posts of ~60 random words,
then times, on copies of the same file: deleting one row (and 1,000 rows, an account's worth)
with FTS5 'secure-delete' (bundled SQLite, sqlean.py), and deleting one row followed by
'optimize' or a bounded 'merge' (what an older library would need to drop the words from the
index segments).
"""

import argparse
import random
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import sqlean

DDL = "CREATE VIRTUAL TABLE post_search USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')"


def build(path: Path, rows: int, secure: bool) -> None:
    rng = random.Random(7)
    vocab = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 9))) for _ in range(20000)]
    db = sqlean.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(DDL)
    if secure:
        db.execute("INSERT INTO post_search(post_search, rank) VALUES('secure-delete', 1)")
    db.execute("BEGIN")
    for i in range(1, rows + 1):
        title = " ".join(rng.choices(vocab, k=6)) if i % 10 == 1 else ""
        db.execute(
            "INSERT INTO post_search(rowid, title, body) VALUES (?, ?, ?)",
            (i, title, " ".join(rng.choices(vocab, k=60))),
        )
    db.execute("UPDATE post_search SET body = 'zyxwvu unique phrase qqqxxqq' WHERE rowid = ?", (rows // 2,))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def timed(connect, path: Path, statements: list[str]) -> float:
    db = connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "secure_delete=ON"):
        db.execute(f"PRAGMA {pragma}")
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    for statement in statements:
        db.execute(statement)
    db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return elapsed


def left(path: Path) -> bool:
    return b"qqqxxqq" in path.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    rows = parser.parse_args().rows
    delete = f"DELETE FROM post_search WHERE rowid = {rows // 2}"  # noqa: S608 - a number
    many = f"DELETE FROM post_search WHERE rowid % {rows // 1000} = 0"  # noqa: S608 - a number
    with tempfile.TemporaryDirectory() as tmp:
        secure, plain = Path(tmp, "secure.db"), Path(tmp, "plain.db")
        t = time.perf_counter()
        build(secure, rows, secure=True)
        build(plain, rows, secure=False)
        print(
            f"built 2 x {rows:,} rows in {time.perf_counter() - t:.0f}s;",
            f"file {secure.stat().st_size / 1e6:.0f} MB",
        )
        runs = [
            ("secure-delete, one row", sqlean.connect, secure, [delete]),
            ("secure-delete, 1,000 rows", sqlean.connect, secure, [many]),
            ("plain delete, one row", sqlite3.connect, plain, [delete]),
            ("plain delete, 1,000 rows", sqlite3.connect, plain, [many]),
            (
                "plain delete + merge 16",
                sqlite3.connect,
                plain,
                [delete, "INSERT INTO post_search(post_search, rank) VALUES('merge', 16)"],
            ),
            (
                "plain delete + optimize",
                sqlite3.connect,
                plain,
                [delete, "INSERT INTO post_search(post_search) VALUES('optimize')"],
            ),
        ]
        for name, connect, source, statements in runs:
            copy = Path(tmp, "run.db")
            shutil.copy(source, copy)
            elapsed = timed(connect, copy, statements)
            print(f"{name:28} {elapsed * 1000:9.1f} ms   words left in the file: {left(copy)}")


if __name__ == "__main__":
    main()
