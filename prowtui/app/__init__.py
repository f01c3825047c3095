"""The Textual explorer. ``ProwtuiApp`` is the app; ``apply_keymap`` rebinds keys by id."""

from prowtui.app.app import ProwtuiApp, apply_keymap
from prowtui.app.services import Explorer

__all__ = ["Explorer", "ProwtuiApp", "apply_keymap"]
