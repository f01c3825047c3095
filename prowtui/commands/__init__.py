"""Headless sub-commands. Each module exposes ``register(subparsers)``."""
