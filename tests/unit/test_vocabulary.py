"""The job vocabulary exists once (issue 18): output formats, the Whisper engine check and
the speech-model list live in ``vt_desktop/core/jobs/options.py`` (the models in the
workers' catalogue); a copy anywhere else in the app fails here, naming the file and line."""

from __future__ import annotations

import ast
from pathlib import Path

from vt_desktop.core.jobs.options import OUTPUT_FORMATS, SPEECH_MODELS

ROOT = Path(__file__).resolve().parents[2]
OWNER = ROOT / "vt_desktop" / "core" / "jobs" / "options.py"


def copies(tree: ast.AST) -> list[tuple[int, str]]:
    """Lists of formats or speech models, and ``== "whisper"`` checks, in ``tree``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            words = {e.value for e in node.elts if isinstance(e, ast.Constant)}
            if len(words & set(OUTPUT_FORMATS)) >= 3:
                found.append((node.lineno, "a list of output formats"))
            if len(words & set(SPEECH_MODELS)) >= 3:
                found.append((node.lineno, "a list of speech models"))
        if isinstance(node, ast.Compare) and any(
            isinstance(c, ast.Constant) and c.value == "whisper" for c in node.comparators
        ):
            found.append((node.lineno, 'an == "whisper" check'))
    return found


def test_the_job_vocabulary_is_written_once() -> None:
    stray = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in sorted((ROOT / "vt_desktop").rglob("*.py"))
        if path != OWNER
        for line, what in copies(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not stray, "use vt_desktop/core/jobs/options.py instead:\n" + "\n".join(stray)


def test_the_check_finds_each_kind_of_copy() -> None:
    source = """
formats = ("srt", "vtt", "ass", "mkv")
models = ["tiny.en", "base", "small"]
if engine == "whisper":
    pass
"""
    assert [what for _, what in copies(ast.parse(source))] == [
        "a list of output formats",
        "a list of speech models",
        'an == "whisper" check',
    ]
