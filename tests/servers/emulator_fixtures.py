"""Fixtures that start gcp-storage-emulator."""
