"""Many jobs, one dataset: a hive-partitioned parquet export, on Dask when one machine is not
enough.

- :mod:`.export` -- :func:`~.export.export_dataset`, the run (plan, engine, manifest);
- :mod:`.engine` -- :class:`~.engine.InProcessEngine` and :class:`~.engine.DaskEngine`;
- :mod:`.chunk` -- one chunk's work, on any process (:class:`~.chunk.ChunkTask`);
- :mod:`.plan` -- chunks, resume and top-up rules; :mod:`.jobs` -- job patterns;
- :mod:`.layout` and :mod:`.manifest` -- the files' keys and the commit record, in a directory
  or a bucket (:mod:`prowtui.analysis.store`); :mod:`.defaults` -- light constants.

Importing the package imports nothing else (the command line reads :mod:`.defaults`);
``dask`` and ``distributed`` are imported only when a Dask engine runs.
"""
