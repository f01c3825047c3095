"""``prowtui search``: where else does a line appear, across every build of many jobs, and
how many failures it explains. ``run`` finds the builds and files and drives the engine
(:mod:`prowtui.logs.grep`); ``model`` holds the results and the impact arithmetic."""
