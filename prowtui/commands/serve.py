"""``prowtui serve [--source SRC] [PATH] [--host H] [--port P] [--max-sessions N] [--public]
[--public-url URL]``: the explorer in a browser, one explorer process per tab, behind a token."""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import secrets
import socket
import sys
from typing import Any
from urllib.parse import urlsplit

from prowtui.commands.common import add_source_args, fail, open_spec, run, usage_error
from prowtui.errors import ProwtuiError, UsageError

#: where the token comes from when it is not generated
TOKEN_ENV = "PROWTUI_SERVE_TOKEN"
#: a token that can travel in a URL and a cookie unquoted, long enough not to be guessed
_TOKEN = re.compile(r"^[A-Za-z0-9._~-]{22,256}$")


def register(subparsers: Any) -> None:
    """Add the ``serve`` sub-command."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the explorer to a web browser",
        description="Serve the explorer to a web browser: every tab gets its own explorer "
        "process on this machine, with this source, config and cache. The printed address "
        "carries a token; without it every request is refused. Ctrl+C stops the server and "
        "every session.",
    )
    add_source_args(parser)
    parser.add_argument(
        "path", metavar="PATH_OR_URL", nargs="?", default=None, help="where to open"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000; 0: any)")
    parser.add_argument(
        "--max-sessions",
        type=int,
        default=4,
        metavar="N",
        help="explorer processes at most at once; one tab each (4)",
    )
    parser.add_argument(
        "--public",
        action="store_true",
        help="allow a --host that is not a loopback address (anyone who reaches the port and "
        "has the token uses this machine's network and cache)",
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        default=None,
        help="the address browsers use, behind a reverse proxy (https://… gives wss://…)",
    )
    parser.set_defaults(func=main)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (``localhost`` or a loopback address)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_public_url(url: str) -> str:
    """``url`` without a trailing slash; UsageError unless it is http(s)://HOST[:PORT][/PATH]."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise UsageError(f"--public-url {url!r}: bad port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--public-url {url!r}: expected http://HOST/… or https://HOST/…")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise UsageError(f"--public-url {url!r}: no query, fragment or user name")
    return url.rstrip("/")


def server_token() -> str:
    """``$PROWTUI_SERVE_TOKEN``, else 256 random bits; UsageError for a short or odd one."""
    token = os.environ.get(TOKEN_ENV)
    if token is None or not token.strip():
        return secrets.token_urlsafe(32)
    token = token.strip()
    if not _TOKEN.match(token):
        raise UsageError(
            f"${TOKEN_ENV} must be 22 to 256 characters of A-Z a-z 0-9 . _ ~ - "
            "(prowtui serve makes one when it is unset)"
        )
    return token


def explorer_argv(args: argparse.Namespace) -> tuple[str, ...]:
    """The command line of one tab's explorer: this interpreter and installation, with the
    same source and path (config and cache come through the inherited environment)."""
    argv = [sys.executable, "-m", "prowtui"]
    if args.source:
        argv += ["--source", args.source]
    if args.offline:
        argv.append("--offline")
    if args.path:
        argv.append(args.path)
    return tuple(argv)


def printed_url(host: str, port: int, public_url: str | None, token: str) -> str:
    """The address to open: ``--public-url``, else the host (this machine's name for an
    any-address bind, which no browser can open), with the token."""
    if public_url:
        base = public_url
    else:
        name = host
        if host in ("", "0.0.0.0", "::"):
            name = socket.gethostname()
        elif ":" in host and not host.startswith("["):
            name = f"[{host}]"
        base = f"http://{name}:{port}"
    return f"{base}/?token={token}"


def main(args: argparse.Namespace) -> int:
    """Check everything that can be checked before listening, then serve until Ctrl+C."""
    from prowtui.config import load_config
    from prowtui.sources.resolve import resolve_target

    try:
        if args.max_sessions < 1:
            raise UsageError("--max-sessions must be at least 1")
        if not 0 <= args.port <= 65535:
            raise UsageError(f"--port {args.port}: expected 0 to 65535")
        if not args.public and not is_loopback(args.host):
            raise UsageError(
                f"--host {args.host} is not a loopback address; add --public to serve the "
                "explorer to other machines"
            )
        public_url = check_public_url(args.public_url) if args.public_url else None
        token = server_token()
        load_config()  # a bad config file is one line here, not a tab that ends at once
        spec, _path = resolve_target(args.source, args.path)
        source = open_spec(spec, offline=args.offline)  # builds the demo bucket once, here
    except UsageError as exc:
        return usage_error(str(exc), "serve")
    except ProwtuiError as exc:
        return fail(str(exc), "serve")
    if args.public:
        print(
            "prowtui serve: warning: --public: anyone who can reach this port and has the "
            "token can use the explorer, with this machine's network access, credentials and "
            "cache, and write files (export) where this user can",
            file=sys.stderr,
        )

    from prowtui.serve.server import ServeConfig, serve

    config = ServeConfig(
        argv=explorer_argv(args),
        token=token,
        host=args.host,
        port=args.port,
        max_sessions=args.max_sessions,
        public_url=public_url,
        title=f"prowtui · {spec.describe()}",
    )

    def ready(host: str, port: int) -> None:
        sessions = "session" if config.max_sessions == 1 else "sessions"
        print(
            f"prowtui serve: {spec.describe()} on {host}:{port}, at most "
            f"{config.max_sessions} {sessions}; Ctrl+C stops it. Open:",
            flush=True,
        )
        print(f"    {printed_url(host, port, public_url, token)}", flush=True)

    async def body() -> int:
        await source.aclose()
        await serve(config, ready)
        return 0

    return int(run(body))
