"""One page, called in process: the app's (or the baseline's) own cost per request, without a server.

    python bench/inproc.py app|baseline PATH [--member] [--post BODY] [-n N] [--callgrind]

Copies the small bench database (`python bench/run.py --quick --only small --skip-pg` builds it),
calls the ASGI app N times in a row on one event loop, and prints the minimum, first quartile and
median of 50-request batches (this machine is shared: the minimum moves least). `--member` joins as
a new member first (the cookie and a CSRF token, put in place of TOKEN in --post's body).

Under a profiler: `py-spy record -f raw -o out.txt -- .venv/bin/python bench/inproc.py app /` for
where the time goes. `--callgrind`, run under `valgrind --tool=callgrind --instr-atstart=no`,
counts instructions for the N requests only (callgrind_control turns counting on and off):
repeatable to about 0.2% whatever else the machine does, so a small change can be measured.
The `totals:` line of the callgrind.out file it writes, divided by N, is the cost of one request:

    PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=cg.out \
        .venv/bin/python bench/inproc.py app / -n 100 --callgrind && grep totals: cg.out
"""

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import CACHE, SECRET  # noqa: E402
from tests.live import APP_ENV  # noqa: E402

BATCH = 50


def _database() -> str:
    built = sorted(CACHE.glob("small-*.db"))
    if not built:
        sys.exit("No small bench database yet: python bench/run.py --quick --only small --skip-pg")
    copy = Path(tempfile.mkdtemp()) / "forum.db"
    shutil.copy(built[-1], copy)
    return f"sqlite:///{copy}"


def _member(body: bytes) -> tuple[str, bytes]:
    from fastapi.testclient import TestClient

    from app.main import create_app

    def token(page: str) -> str:
        return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)[1]

    with TestClient(create_app(), base_url="http://127.0.0.1:8000") as c:
        c.get("/")
        form = {"pseudonym": "In-Process Walker", "passphrase": "bench passphrase 1", "guidelines": "yes"}
        c.post("/join", data={**form, "csrf_token": token(c.get("/join").text)})
        cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
        return cookie, body.replace(b"TOKEN", token(c.get("/me/settings").text).encode())


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("which", choices=["app", "baseline"])
    parser.add_argument("path")
    parser.add_argument("--member", action="store_true")
    parser.add_argument("--post", metavar="BODY", help="POST this urlencoded body (TOKEN: the CSRF token)")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--callgrind", action="store_true")
    args = parser.parse_args()
    os.environ.update({**APP_ENV, "DATABASE_URL": _database(), "PEERBEARING_SECRET_KEY": SECRET})
    body = (args.post or "").encode()
    cookie, body = _member(body) if args.member else ("", body)
    if args.which == "app":
        from app.main import serving_app

        app = serving_app()
    else:
        from bench.baseline import app
    path, _, query = args.path.partition("?")
    headers = [(b"host", b"127.0.0.1:8000")] + ([(b"cookie", cookie.encode())] if cookie else [])
    if args.post is not None:
        headers += [(b"content-type", b"application/x-www-form-urlencoded")]
        headers += [(b"content-length", str(len(body)).encode())]
    statuses: set[int] = set()

    async def one() -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST" if args.post is not None else "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }

        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                statuses.add(message["status"])

        await app(scope, receive, send)

    async def run() -> None:
        for _ in range(20):  # warm: compiled statements, caches
            await one()
        if args.callgrind:
            control = ["callgrind_control", "-i"]
            subprocess.run([*control, "on", str(os.getpid())], capture_output=True, check=False)
            for _ in range(args.n):
                await one()
            subprocess.run([*control, "off", str(os.getpid())], capture_output=True, check=False)
            print(f"{args.which} {args.path}: {args.n} requests counted, statuses {sorted(statuses)}")
            return
        batches = []
        for _ in range(max(1, args.n // BATCH)):
            started = time.perf_counter()
            for _ in range(BATCH):
                await one()
            batches.append((time.perf_counter() - started) / BATCH * 1000)
        batches.sort()
        low, quarter, middle = batches[0], batches[len(batches) // 4], batches[len(batches) // 2]
        print(
            f"{args.which} {args.path}: min {low:.3f} p25 {quarter:.3f} median {middle:.3f} ms a request,"
            f" statuses {sorted(statuses)}"
        )

    asyncio.run(run())


if __name__ == "__main__":
    main()
