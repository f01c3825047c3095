"""Screens and modal dialogs of the explorer, one per module."""
