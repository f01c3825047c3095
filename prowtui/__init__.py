"""prowtui: a terminal explorer for Prow CI job artifacts in Google Cloud Storage."""

__version__ = "0.1.0"
