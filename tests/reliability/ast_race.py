"""Build syntax trees in several threads while finalisers run mid-build (a worst case for the AST
constructor's shared recursion counter). Prints how many parses failed with SystemError.

Run as a script: `python -m tests.reliability.ast_race [--guard] [ROUNDS]`."""

from __future__ import annotations

import ast
import gc
import sys
import threading
import time

SOURCE = "def f(x):\n" + "".join(
    f"    if x > {i}:\n        return ({i}, [{{'a': (1, 2, [3, 4])}}])\n" for i in range(20)
)


class _Finaliser:
    def __del__(self) -> None:
        time.sleep(0)  # lets another thread run while this one is inside the AST constructor


def _parse_many(rounds: int, failures: list[BaseException]) -> None:
    for _ in range(rounds):
        for _ in range(5):
            a, b = _Finaliser(), _Finaliser()
            a.other, b.other = b, a  # a cycle: freed by the collector, mid-parse
        del a, b
        try:
            ast.parse(SOURCE)
        except SystemError as failure:
            failures.append(failure)


def main(argv: list[str]) -> int:
    if "--guard" in argv:
        from pipeline import ast_guard

        ast_guard.install()
    rounds = int(next((a for a in argv if a.isdigit()), "2000"))
    sys.setswitchinterval(1e-6)
    gc.set_threshold(20, 1, 1)
    failures: list[BaseException] = []
    threads = [threading.Thread(target=_parse_many, args=(rounds, failures)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"failures={len(failures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
