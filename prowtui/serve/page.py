"""The pages ``prowtui serve`` answers with: textual-serve's terminal page made self-contained
(its web font served from its own static files, the token taken out of the address bar),
and the small pages for a refused request and a full server."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import jinja2

#: textual-serve's page loads "Roboto Mono" from a web font service; it ships the font
_FONT_LINK = re.compile(r"<link\b[^>]*fonts\.googleapis\.com[^>]*>", re.IGNORECASE | re.DOTALL)
#: any address of another host the page could still load (an xmlns is no request)
_REMOTE = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//"""
)

FONT_FACE = """<style>
      @font-face {
        font-family: "Roboto Mono";
        src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf")
          format("truetype");
        font-weight: 100 700;
        font-style: normal;
      }
      @font-face {
        font-family: "Roboto Mono";
        src: url("{{ config.static.url }}fonts/RobotoMono-Italic-VariableFont_wght.ttf")
          format("truetype");
        font-weight: 100 700;
        font-style: italic;
      }
    </style>"""

#: the page keeps working from its cookie: take the token out of the address bar (and so out
#: of the history, bookmarks and screen shares) as soon as the page has loaded
FORGET_TOKEN = """<script>
      (function () {
        const url = new URL(window.location.href);
        if (url.searchParams.has("token")) {
          url.searchParams.delete("token");
          window.history.replaceState(null, "", url.pathname + url.search + url.hash);
        }
      })();
    </script>
    <link rel="icon" href="data:," />
  </head>"""

#: what the browser may load for the terminal page: only this server, nothing framed
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)


class PageError(RuntimeError):
    """textual-serve's page no longer looks as expected (a textual-serve upgrade)."""


def static_dir() -> Path:
    """textual-serve's static files: xterm.js and its page script, styles, fonts, images."""
    return Path(str(files("textual_serve") / "static"))


def self_contained(template: str) -> str:
    """textual-serve's page ``template`` with the web font link replaced by the bundled font
    and the token-forgetting script added; PageError if the page changed in a way that could
    leave it loading something from another host."""
    patched, count = _FONT_LINK.subn(FONT_FACE, template)
    if count != 1:
        raise PageError(f"expected one web font link in textual-serve's page, found {count}")
    if patched.count("</head>") != 1:
        raise PageError("textual-serve's page has no single </head>")
    patched = patched.replace("</head>", FORGET_TOKEN)
    remote = _REMOTE.search(patched)
    if remote:
        raise PageError(f"textual-serve's page loads from another host: {remote.group(0)!r}")
    return patched


@lru_cache(maxsize=1)
def terminal_page() -> jinja2.Template:
    """The terminal page's template (autoescaped)."""
    source = (files("textual_serve") / "templates" / "app_index.html").read_text("utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined)
    return environment.from_string(self_contained(source))


def render_terminal(*, base_url: str, websocket_url: str, font_size: int, title: str) -> str:
    """The terminal page for one tab: assets under ``base_url``/static/, the session at
    ``websocket_url``."""
    return terminal_page().render(
        config={"static": {"url": f"{base_url}/static/"}},
        app_websocket_url=websocket_url,
        font_size=font_size,
        application={"name": title},
        ping_url="",
    )


def _message_page(title: str, message: str) -> str:
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{background:#0c181f;color:#e0e0e0;font-family:monospace;margin:3em}</style>"
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>\n"
    )


def forbidden_page() -> str:
    """The answer to any request without the right token (or from another site)."""
    return _message_page(
        "403 Forbidden",
        "Open the address that 'prowtui serve' printed, with its token, in this browser.",
    )


def limit_page(max_sessions: int) -> str:
    """The answer to one tab too many: no explorer is started for it."""
    sessions = "session" if max_sessions == 1 else "sessions"
    return _message_page(
        "prowtui: all sessions in use",
        f"This server runs at most {max_sessions} explorer {sessions} at once, and all are "
        "in use. Close another prowtui tab (its explorer ends within a few seconds), then "
        "reload this page.",
    )
