"""Flight lists from files (BTS on-time data, ANAC VRA, OpenSky flight lists) into `flights`.

files.py opens and streams a file in chunks; mapping.py resolves IATA codes and time zones
through the reference; one module per format turns a chunk into rows of the `flights` frame;
importer.py stages them as Parquet partitions for pipeline.store.load_partitions.
"""
