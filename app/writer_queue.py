"""SQLite's writers take turns: a queue in front of BEGIN IMMEDIATE, across threads and processes.

SQLite's busy handler is no queue: a writer that finds the write lock taken sleeps (up to 100 ms at
a time) and tries again, and a newcomer can pass one that has waited long. With 32 writers on two
workers some waited seconds, a few past busy_timeout. Here a writer first takes its process's turn
(a threading.Lock), then the file's (an flock on `<database>-writers.lock`, which every process on
that database shares); each wakes its next waiter as soon as it is freed. The turn is given back
just after the driver's COMMIT or ROLLBACK, so the next writer's BEGIN IMMEDIATE finds the database
free, and whenever the connection closes (invalidated, dropped by the pool), so it cannot leak; the
OS frees a killed process's flock.

SQLite's own lock still decides what is safe; the queue only orders the writers. A writer that
waits busy_timeout for its turn writes without one, and a lock file that cannot be opened (a
read-only folder) means no queue for that database, logged once.
"""

import fcntl
import logging
import os
import threading
import weakref

import sqlean

log = logging.getLogger("peerbearing")


class WriterQueue:
    """The writers of one database file in this process: one turn at a time, shared with other processes."""

    def __init__(self, lock_path: str):
        # flock needs no write access, and the file holds nothing: whoever runs the app may open it.
        self._fd = os.open(lock_path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        weakref.finalize(self, os.close, self._fd)
        # Threads of one process share the fd's flock, so they take turns on this lock first.
        self._in_process = threading.Lock()
        self._holder: object | None = None

    def take(self, holder: object, *, timeout: float) -> bool:
        if self._holder is holder:  # its last transaction ended outside the driver (a raw COMMIT)
            return True
        if not self._in_process.acquire(timeout=timeout):
            return False
        try:
            # Only this process's turn-holder waits here (another process's writer can hold it), so a
            # writer that never ends stalls one thread, and the rest time out above.
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._in_process.release()
            raise
        self._holder = holder
        return True

    def give_back(self, holder: object) -> None:
        """Free the turn if `holder` has it: every end of a transaction calls this, so once is kept here."""
        if self._holder is not holder:
            return
        self._holder = None
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._in_process.release()


# One queue per database file while any connection to it is open (the tests make a file per test).
_queues: weakref.WeakValueDictionary[str, WriterQueue] = weakref.WeakValueDictionary()
_unqueued: set[str] = set()
_registry = threading.Lock()


def queue_for(database: str) -> WriterQueue | None:
    """The queue of the database at this path; None in memory or when its lock file cannot be opened."""
    if not database:
        return None
    lock_path = f"{database}-writers.lock"
    with _registry:
        queue = _queues.get(lock_path)
        if queue is None and lock_path not in _unqueued:
            try:
                queue = _queues[lock_path] = WriterQueue(lock_path)
            except OSError as exc:
                _unqueued.add(lock_path)
                log.warning(
                    "writers' queue off for %s (%s): SQLite's busy timeout alone orders its writers",
                    lock_path,
                    exc.strerror,
                )
        return queue


class QueuedConnection(sqlean.dbapi2.Connection):
    """A SQLite connection (sqlean.connect(..., factory=QueuedConnection)) in its file's writers' queue.

    Overriding the driver's commit, rollback and close is what gives the turn back after COMMIT
    itself: SQLAlchemy's commit and rollback events fire before the driver's.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The file SQLite opened, however the URL named it ('' in memory).
        main = next(row[2] for row in self.execute("PRAGMA database_list") if row[1] == "main")
        self.writers = queue_for(main)

    def take_turn(self, *, timeout: float) -> None:
        if self.writers is not None and not self.writers.take(self, timeout=timeout):
            log.warning("a writer waited %.0f s for its turn and goes on without one", timeout)

    def give_back_turn(self) -> None:
        if self.writers is not None:
            self.writers.give_back(self)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._transaction_over()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._transaction_over()

    def close(self) -> None:
        self.give_back_turn()
        super().close()

    def _transaction_over(self) -> None:
        # A COMMIT that failed (a full disk) leaves the transaction open: its ROLLBACK gives the turn back.
        try:
            still_open = self.in_transaction
        except sqlean.dbapi2.ProgrammingError:  # closed, and so given back already
            still_open = False
        if not still_open:
            self.give_back_turn()
