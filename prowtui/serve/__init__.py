"""``prowtui serve``: the explorer in a browser, one explorer process per tab.

Built on textual-serve's :class:`~textual_serve.app_service.AppService` (the protocol between
the browser's terminal and a Textual app run with the web driver) and its page and static
files, inside a small aiohttp application of our own whose one middleware checks the token,
the WebSocket's Origin and the session limit (:mod:`prowtui.serve.server`). Nothing here
imports Textual: each session runs ``python -m prowtui`` as a child process.
"""
