"""Values derived from a corpus (search index, ranking index), kept while the corpus object lives.

Pure Python: no streamlit, zenml or openai imports.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

T = TypeVar("T")


class PerCorpus(Generic[T]):
    """A weak-keyed, thread-safe cache: `get(corpus, build)` builds once per live corpus object.
    An object that cannot be weakly referenced (a plain list) gets a fresh, uncached value. The
    values must not hold their corpus strongly, or neither would ever be freed."""

    def __init__(self) -> None:
        self._values: WeakKeyDictionary[Any, T] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, corpus: Any, build: Callable[[], T]) -> T:
        try:
            with self._lock:
                cached = self._values.get(corpus)
        except TypeError:  # not weak-referenceable
            return build()
        if cached is not None:
            return cached
        value = build()  # outside the lock: two threads may build, the first stored wins
        with self._lock:
            return self._values.setdefault(corpus, value)
