"""Bundled sample corpus, labelled queries (see `data.sample`) and the benchmark corpus generator."""
