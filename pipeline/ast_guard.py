"""Serialise `ast.parse` across threads.

CPython before 3.13 keeps the AST constructor's recursion counter in interpreter-wide state. When
two threads build syntax trees at once (a garbage collection that runs a finaliser mid-build is
enough to switch threads), the counter is moved under the other thread's feet and the parse fails
with `SystemError: AST constructor recursion depth mismatch` (CPython gh-106905 and follow-ups).

ZenML parses a step's source (`has_tuple_return`, `has_only_none_returns`) whenever it compiles or
runs a step, and a dynamic pipeline does that in many threads at once: chunk steps fan out, and
child pipeline runs start concurrently. One such failure killed a child run in a busy test run.

`install()` wraps `ast.parse` in one process-wide lock. A parse takes microseconds to a few
milliseconds, so serialising them costs nothing measurable; the wrapper is installed once and is
a no-op on interpreters that do not need it.
"""

from __future__ import annotations

import ast
import functools
import sys
import threading
from typing import Any

_LOCK = threading.RLock()
_MARK = "_rlm_thread_safe"

#: Interpreters whose AST constructor shares its recursion counter between threads.
AFFECTED = sys.version_info < (3, 13)


def install() -> bool:
    """Make `ast.parse` thread-safe in this process. Idempotent; returns whether the guard is on."""
    if not AFFECTED:
        return False
    current = ast.parse
    if getattr(current, _MARK, False):
        return True

    @functools.wraps(current)
    def parse(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return current(*args, **kwargs)

    setattr(parse, _MARK, True)
    ast.parse = parse
    return True


def installed() -> bool:
    return bool(getattr(ast.parse, _MARK, False))
