"""The baseline's two writes (stub until written)."""


def answer(db, path, headers, cookies, body, now):
    return 404, []
