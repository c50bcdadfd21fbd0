"""The build carries what langcodes reads at run time: language_data's name tries (the target
field's search by name in the UI's language), and nothing of langcodes' tests."""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable
from pathlib import Path

from language_data import names
from PyInstaller.utils.hooks import collect_data_files

from tests.unit.test_bundle_contents import load_check_bundle
from vt_desktop.core.languages import language_name, parse_language

ROOT = Path(__file__).resolve().parents[2]
SPEC = (ROOT / "build.spec").read_text(encoding="utf-8")


def spec_language_data() -> set[str]:
    """Destination paths of the language_data files build.spec collects (its own call)."""
    call = re.search(r'collect_data_files\("language_data"[^\n]*\)', SPEC)
    assert call is not None, "build.spec collects no language_data files"
    node = ast.parse(call.group(0), mode="eval").body
    assert isinstance(node, ast.Call)
    kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
    return {
        f"{dest}/{Path(src).name}" for src, dest in collect_data_files("language_data", **kwargs)
    }


def test_every_name_trie_langcodes_reads_in_english_and_russian_is_bundled() -> None:
    names.TRIES.clear()
    assert parse_language("Немецкий", "ru") == "de"
    assert parse_language("Brazilian Portuguese", "en") == "pt-BR"
    assert language_name("de", "ru") == "Немецкий"
    read = {f"language_data/data/trie/{name}.marisa" for name in names.TRIES}

    assert read, "langcodes read no name trie"
    assert read <= spec_language_data()
    required = set(load_check_bundle().REQUIRED_FILES)
    assert {
        "language_data/data/trie/en/name_to_language.marisa",
        "language_data/data/trie/ru/name_to_language.marisa",
    } <= required


def spec_keep() -> Callable[[str], bool]:
    """build.spec's own ``_keep`` filter, with the constants it reads."""
    tree = ast.parse(SPEC)
    wanted = {"UNUSED_QT", "UNUSED_QT_PLUGINS", "UNUSED_QT_LIBS", "BUNDLE_FFMPEG"}
    nodes: list[ast.stmt] = [
        node
        for node in tree.body
        if (isinstance(node, ast.FunctionDef) and node.name == "_keep")
        or (isinstance(node, ast.Assign) and {getattr(t, "id", "") for t in node.targets} & wanted)
    ]
    namespace: dict[str, object] = {"os": os}
    exec(compile(ast.Module(body=nodes, type_ignores=[]), "build.spec", "exec"), namespace)  # noqa: S102
    keep = namespace["_keep"]
    assert callable(keep)
    return keep


def test_the_spec_leaves_out_langcodes_tests_that_its_hook_collects() -> None:
    keep = spec_keep()
    hooked = [f"{dest}/{Path(src).name}" for src, dest in collect_data_files("langcodes")]

    assert "langcodes/tests/README.md" in hooked
    assert [path for path in hooked if not keep(path)] == ["langcodes/tests/README.md"]
    assert all(keep(path) for path in spec_language_data())
