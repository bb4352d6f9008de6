"""Load benchmark: a seeded forum served by the real app, pages and actions timed from a client.

Usage: python bench/run.py [--threads 2000] [--replies 10] [--requests 200] [--database-url URL]
Prints medians and 95th percentiles per route, in milliseconds. Numbers are for comparing
runs on the same machine (quote ratios, not absolutes): these machines are shared and noisy.
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

# Run as a script (`python bench/run.py`): the project root, for the one live-server helper in tests/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.live import LiveServer  # noqa: E402


def timed(client: httpx.Client, method: str, path: str, n: int, **kw) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        r = client.request(method, path, **kw)
        out.append((time.perf_counter() - start) * 1000)
        assert r.status_code < 400, (path, r.status_code)
    return out


def report(name: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(f"{name:38s} median {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms   n={len(samples)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2000)
    parser.add_argument("--replies", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pb-bench-"))
    env = {
        "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.db",
        "PEERBEARING_SECURE_COOKIES": "false",
        "PEERBEARING_RATE_LIMITS_ENABLED": "false",
    }
    server = LiveServer(env, log_path=tmp / "server.log")
    start = time.perf_counter()
    server.cli("migrate")
    server.cli("seed-demo", "--threads", str(args.threads), "--replies", str(args.replies))
    print(f"seeded {args.threads} threads x {args.replies} replies in {time.perf_counter() - start:.1f} s")
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as c:
            older = re.search(r'href="(/\?before=[^"]+)"', c.get("/").text).group(1).replace("&amp;", "&")
            report("GET / (front page)", timed(c, "GET", "/", args.requests))
            report("GET /?before= (older page)", timed(c, "GET", older, args.requests))
            report("GET /c/stories", timed(c, "GET", "/c/stories", args.requests))
            report(
                "GET /t/{id} (thread, 11 posts)", timed(c, "GET", f"/t/{args.threads // 2}", args.requests)
            )
            token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', c.get("/join").text).group(1)
            c.post(
                "/join",
                data={
                    "pseudonym": "Bench-Runner-1",
                    "passphrase": "bench passphrase",
                    "guidelines": "yes",
                    "csrf_token": token,
                },
            )
            token = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', c.get("/").text).group(1)
            headers = {"HX-Request": "true", "X-CSRF-Token": token}
            report(
                "POST /p/{id}/react/hug (htmx)",
                timed(c, "POST", "/p/5/react/hug", args.requests, headers=headers),
            )
            report(
                "POST /t/{id}/reply (htmx)",
                timed(
                    c,
                    "POST",
                    f"/t/{args.threads // 3}/reply",
                    args.requests // 4,
                    headers=headers,
                    data={"body": "Thinking of you."},
                ),
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
