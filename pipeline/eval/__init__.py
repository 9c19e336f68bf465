"""The evaluation of strategies (rlm, direct, rag, deterministic) on labelled questions: question
sets, cell results, metrics, the answer judge, and reading evaluations back from the store."""
