"""``python -m worker --describe``: an OpenRPC document of every enabled service's methods,
from the ``Method`` declarations and their pydantic models; design-style ``execute``
services take and return free JSON."""

from __future__ import annotations

import importlib
import json
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

import worker.protocol
from worker.protocol import errors
from worker.protocol.methods import Method

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples" / "plugins"
#: JSON Schema (2020-12) keywords, and the annotations pydantic writes.
SCHEMA_KEYWORDS = {
    "type", "$ref", "anyOf", "allOf", "oneOf", "not", "enum", "const", "title",
    "description", "default", "examples", "deprecated", "readOnly", "properties",
    "required", "additionalProperties", "items", "prefixItems", "minItems", "maxItems",
    "uniqueItems", "minLength", "maxLength", "pattern", "format", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "propertyNames",
    "minProperties", "maxProperties", "discriminator",
}  # fmt: skip


def openrpc_problems(doc: dict[str, Any]) -> list[str]:
    """Where ``doc`` breaks the OpenRPC specification's own meta-schema (tests/data/openrpc,
    from npm, with the JSON Schema meta-schema it refers to; nothing is fetched)."""
    folder = ROOT / "tests" / "data" / "openrpc"
    meta = json.loads((folder / "meta-schema-1.14.9.json").read_text())
    json_schema = json.loads((folder / "json-schema-tools-meta-schema-1.8.0.json").read_text())
    resource = Resource.from_contents(json_schema, default_specification=DRAFT7)
    tools = "https://meta.json-schema.tools"
    registry = Registry().with_resources([(tools, resource), (f"{tools}/", resource)])
    validator = Draft7Validator(meta, registry=registry)
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_the_meta_schema_check_finds_a_broken_document() -> None:
    """The check can fail: a method without a name, an unknown top-level key."""
    broken = {
        "openrpc": "1.3.2",
        "info": {"title": "t", "version": "1"},
        "methods": [{"params": [], "result": {"name": "r", "schema": {}}}],
        "extra": 1,
    }
    problems = openrpc_problems(broken)
    assert any(p.startswith("['methods', 0]: ") for p in problems), problems
    assert any(p.startswith("[]: 'extra' does not match") for p in problems), problems


def declared_methods() -> dict[str, Method[Any, Any]]:
    """Every ``Method`` declared in ``worker/protocol/*.py``."""
    found: dict[str, Method[Any, Any]] = {}
    for info in pkgutil.iter_modules(worker.protocol.__path__):
        module = importlib.import_module(f"worker.protocol.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Method):
                found[value.name] = value
    return found


def refs(node: Any) -> list[str]:
    """Every ``$ref`` inside ``node``."""
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def is_schema(node: Any) -> bool:
    """A JSON Schema object: only schema keywords, and every sub-schema one too."""
    if not isinstance(node, dict) or not set(node) <= SCHEMA_KEYWORDS:
        return False
    subs = [node.get(k) for k in ("items", "not") if isinstance(node.get(k), dict)]
    subs += [v for k in ("anyOf", "allOf", "oneOf", "prefixItems") for v in node.get(k, [])]
    subs += list(node.get("properties", {}).values())
    return all(is_schema(sub) for sub in subs)


def describe_cli(tmp_path: Path, plugins: Path) -> dict[str, Any]:
    env = {
        "PATH": "/usr/bin:/bin",
        "VT_CONFIG_DIR": str(tmp_path / "config"),
        "VT_CACHE_DIR": str(tmp_path / "cache"),
        "VT_PLUGIN_DIR": str(plugins),
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "worker", "--describe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def test_describe_prints_an_openrpc_document_of_every_enabled_method(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    shutil.copytree(EXAMPLES, plugins / "deep" / "examples")
    services = tmp_path / "config" / "services"
    services.mkdir(parents=True)
    (services / "text_stats.toml").write_text("RPC_ENABLED = true\n")
    (services / "greeter.toml").write_text("rpc_enabled = false\n")
    (services / "tts.toml").write_text("rpc_enabled = false\n")

    doc = describe_cli(tmp_path, plugins)

    assert doc["openrpc"].startswith("1.") and set(doc) >= {"openrpc", "info", "methods"}
    assert doc["info"]["title"] and doc["info"]["version"]
    names = [m["name"] for m in doc["methods"]]
    assert len(names) == len(set(names))
    declared = declared_methods()
    expected = {n for n in declared if n.partition(".")[0] not in {"tts", "greeter"}}
    expected.discard("text_stats.execute")  # declared per service, not in worker/protocol
    assert expected <= set(names), expected - set(names)
    assert "text_stats.execute" in names and not any(
        n.startswith(("tts.", "greeter.")) for n in names
    )

    problems = openrpc_problems(doc)
    assert not problems, problems[:5]

    schemas = doc["components"]["schemas"]
    codes = {e["code"] for e in doc["components"]["errors"].values()}
    project_codes = {c.code for c in [errors.InvalidParams, errors.InternalError, errors.Cancelled]}
    assert project_codes <= codes and -32007 in codes and -32601 in codes
    for method in doc["methods"]:
        assert set(method) >= {"name", "params", "result", "errors"}, method["name"]
        assert method["paramStructure"] == "by-name"
        for param in method["params"]:
            assert isinstance(param["name"], str) and is_schema(param["schema"]), param
        assert is_schema(method["result"]["schema"]) and method["result"]["name"]
        assert method["errors"], method["name"]
        for error in method["errors"]:
            assert error["$ref"].removeprefix("#/components/errors/") in doc["components"]["errors"]
    assert all(is_schema(schema) for schema in schemas.values())
    for ref in refs(doc["methods"]) + refs(schemas):
        if ref.startswith("#/components/schemas/"):
            assert ref.removeprefix("#/components/schemas/") in schemas, ref

    translate = next(m for m in doc["methods"] if m["name"] == "mt.translate")
    params = {p["name"]: p for p in translate["params"]}
    assert params["sentences"]["required"] and params["sentences"]["schema"]["type"] == "array"
    assert set(params) == set(declared["mt.translate"].params.model_fields)
    execute = next(m for m in doc["methods"] if m["name"] == "text_stats.execute")
    assert execute["params"] == []  # any object: its schema is the free object
    params_schema = schemas[execute["x-params-schema"]["$ref"].rsplit("/", 1)[-1]]
    assert params_schema["type"] == "object" and params_schema.get("additionalProperties", True)
    assert execute["summary"].startswith('``{"text": "..."}``')
