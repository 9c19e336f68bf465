"""The evaluation baselines, each a plain function over a corpus and a question: `direct` (one
call holding as much of the corpus as fits a context budget) and `rag` (top-k retrieval, then
one call). The `rlm` and `deterministic` strategies are `rlm_analysis` runs themselves."""
