"""Allow ``python -m prowtui``."""

from prowtui.cli import main

raise SystemExit(main())
