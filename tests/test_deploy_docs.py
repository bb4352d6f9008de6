"""The deployment guide's sample files parse and agree with the app: command line, port, settings."""

import configparser
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.cli import build_parser
from app.config import Settings
from app.main import MAX_BODY_BYTES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _unit(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(text)
    return parser


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list["Directive"] | None = None

    def all(self, name: str) -> list["Directive"]:
        return [d for d in self.block or [] if d.name == name]


TOKEN = re.compile(r"""\s+|#[^\n]*|"((?:\\.|[^"\\])*)"|'((?:\\.|[^'\\])*)'|([{};])|([^\s{};"'#]+)""")


def parse_nginx(text: str) -> list[Directive]:
    """A small nginx parser: directives end with `;` or carry a `{ ... }` block; braces must balance."""
    stack: list[list[Directive]] = [[]]
    words: list[str] = []
    pos = 0
    while pos < len(text):
        match = TOKEN.match(text, pos)
        assert match, f"cannot read nginx config at {text[pos : pos + 30]!r}"
        pos = match.end()
        quoted = match.group(1) if match.group(1) is not None else match.group(2)
        if quoted is not None or match.group(4):
            words.append(quoted if quoted is not None else match.group(4))
        elif match.group(3) == ";":
            assert words, "an empty statement"
            stack[-1].append(Directive(words[0], words[1:]))
            words = []
        elif match.group(3) == "{":
            assert words, "a block without a name"
            directive = Directive(words[0], words[1:], block=[])
            stack[-1].append(directive)
            stack.append(directive.block)
            words = []
        elif match.group(3) == "}":
            assert not words and len(stack) > 1, "an unbalanced `}` or a directive without `;`"
            stack.pop()
    assert not words and len(stack) == 1, "unclosed block or a directive without `;`"
    return stack[0]


def _serve_args():
    unit = _unit((DOCS / "peerbearing.service").read_text())
    argv = shlex.split(unit["Service"]["ExecStart"])
    assert argv[0].endswith("/peerbearing")
    return build_parser().parse_args(argv[1:])


def test_systemd_unit_has_its_sections_and_starts_serve_behind_the_local_proxy():
    unit = _unit((DOCS / "peerbearing.service").read_text())
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    assert unit["Service"]["EnvironmentFile"] == "/etc/peerbearing/env"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    args = _serve_args()
    assert args.command == "serve" and args.host == "127.0.0.1"
    assert args.proxy_headers and args.forwarded_allow_ips == "127.0.0.1" and args.workers > 1


def test_systemd_unit_holds_no_secret_settings():
    unit = _unit((DOCS / "peerbearing.service").read_text())
    inline = " ".join(unit["Service"].get("Environment", "").split())
    assert "SECRET" not in inline and "DATABASE_URL" not in inline
    assert "PASSWORD" not in unit["Service"]["ExecStart"].upper()


def test_nginx_config_proxies_to_the_units_port_with_replaced_forwarding_headers():
    config = parse_nginx((DOCS / "nginx.conf").read_text())
    args = _serve_args()
    (upstream,) = [d for d in config if d.name == "upstream"]
    assert [d.args[0] for d in upstream.all("server")] == [f"{args.host}:{args.port}"]
    servers = [d for d in config if d.name == "server"]
    assert servers
    app_server = next(s for s in servers if s.all("location"))
    (root,) = [loc for loc in app_server.all("location") if loc.args == ["/"]]
    assert root.all("proxy_pass")[0].args == [f"http://{upstream.args[0]}"]
    headers = {d.args[0].lower(): d.args[1] for d in root.all("proxy_set_header")}
    assert headers["x-forwarded-for"] == "$remote_addr"  # replaced, never $proxy_add_x_forwarded_for
    assert headers["x-forwarded-proto"] == "$scheme"
    size = app_server.all("client_max_body_size")[0].args[0]
    assert int(size.rstrip("k")) * 1024 == MAX_BODY_BYTES


def test_nginx_config_keeps_no_access_log_on_any_server():
    config = parse_nginx((DOCS / "nginx.conf").read_text())
    for server in (d for d in config if d.name == "server"):
        assert [d.args for d in server.all("access_log")] == [["off"]]


@pytest.mark.parametrize("broken", ["server { listen 80;", "server { listen 80; }}", "server { listen 80 }"])
def test_nginx_parser_refuses_unbalanced_braces_and_a_missing_semicolon(broken):
    with pytest.raises(AssertionError):
        parse_nginx(broken)


def test_every_setting_named_in_the_guide_exists():
    guide = (DOCS / "deploy.md").read_text()
    named = set(re.findall(r"PEERBEARING_[A-Z_]+", guide))
    assert named, "the guide names its settings"
    assert {n.removeprefix("PEERBEARING_").lower() for n in named} <= set(Settings.model_fields)


def test_unit_files_in_the_guide_parse():
    guide = (DOCS / "deploy.md").read_text()
    blocks = [b for b in re.findall(r"```ini\n(.*?)```", guide, re.S) if b.startswith("[Unit]")]
    assert len(blocks) == 2
    for block in blocks:
        assert "Unit" in _unit(block).sections()


def test_the_guide_installs_peerbearing_with_postgres_and_redis_from_the_lock():
    guide = (DOCS / "deploy.md").read_text()
    assert ".venv/bin/pip install --require-hashes -r requirements/deploy.txt" in guide
    assert ".venv/bin/pip install --no-deps --no-build-isolation ." in guide
    lock = (DOCS.parent / "requirements" / "deploy.txt").read_text()
    assert re.search(r"^psycopg==", lock, re.M) and re.search(r"^redis==", lock, re.M)
