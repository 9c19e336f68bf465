"""ZenML parses step sources in many threads at once (chunk fan-out, concurrent child runs). On
CPython before 3.13 that can fail with `SystemError: AST constructor recursion depth mismatch`; it
killed a child run in a busy suite run. `pipeline.ast_guard` serialises `ast.parse`."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from pipeline import ast_guard, zenml_env
from tests.child_env import child_env

REPO = zenml_env.REPO_ROOT


@pytest.mark.skipif(not ast_guard.AFFECTED, reason="this interpreter's AST constructor is safe")
def test_threads_building_syntax_trees_mid_garbage_collection_never_fail_with_the_guard() -> None:
    """The worst case from `tests.reliability.ast_race` (finalisers switching threads inside the
    AST constructor). Without the guard it fails within 1,000 rounds on CPython 3.11.7."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.reliability.ast_race", "--guard", "1000"],
        cwd=REPO,
        env=child_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "failures=0", done.stdout + done.stderr


@pytest.mark.skipif(not ast_guard.AFFECTED, reason="this interpreter's AST constructor is safe")
def test_every_process_that_runs_pipelines_has_the_guard(tmp_path) -> None:
    code = (
        "import ast, sys\n"
        "from pipeline import zenml_env\n"
        "before = getattr(ast.parse, '_rlm_thread_safe', False)\n"
        "zenml_env.configure(sys.argv[1])\n"
        "print(before, getattr(ast.parse, '_rlm_thread_safe', False))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "zenml")],
        cwd=REPO,
        env=child_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["False", "True"], done.stdout + done.stderr
    import pipeline.pipelines.rlm  # noqa: F401  (step containers import this module)

    assert ast_guard.installed()


def test_the_guarded_parse_is_the_same_parse() -> None:
    ast_guard.install()
    assert ast_guard.install() is ast_guard.AFFECTED  # idempotent: never wrapped twice
    tree = ast.parse("x = (1, 2)\n", mode="exec")
    assert ast.dump(tree) == ast.dump(compile("x = (1, 2)\n", "<s>", "exec", ast.PyCF_ONLY_AST))
    with pytest.raises(SyntaxError):
        ast.parse("def (")
    wrapped = getattr(ast.parse, "__wrapped__", None)
    if ast_guard.AFFECTED:
        assert wrapped is not None and not getattr(wrapped, "_rlm_thread_safe", False)
