"""The wire, described by the code: an OpenRPC document of the methods a worker serves.

``python -m worker --describe`` prints it, for people who call the workers from other
languages. It is generated from each enabled service's handlers: an ``@rpc_method``'s
``Method`` declaration gives its name and the JSON Schemas of its pydantic params and result
models; a design-style service's ``<name>.execute`` takes and returns free JSON. Params are
by name (a JSON object), one content descriptor per field; ``x-params-schema`` holds the
whole params object's schema as well. Every method may answer with the project's error codes
(``components.errors``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from worker import __version__
from worker.protocol import errors
from worker.protocol.methods import Method
from worker.services.base import EXECUTE_ATTR, BaseService

OPENRPC_VERSION = "1.3.2"
SCHEMAS = "#/components/schemas/"
REF_TEMPLATE = SCHEMAS + "{model}"


def error_classes() -> list[type[errors.RpcError]]:
    """Every error of the project's error tree, by code."""
    found: dict[int, type[errors.RpcError]] = {}
    todo: list[type[errors.RpcError]] = [errors.RpcError]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls is not errors.RpcError:
            found.setdefault(cls.code, cls)
    return [found[code] for code in sorted(found, reverse=True)]


def _methods(services: list[type[BaseService]]) -> list[tuple[Method[Any, Any], str]]:
    """Every method served, by name, with the first line of its handler's docstring."""
    methods: dict[str, tuple[Method[Any, Any], str]] = {}
    for cls in services:
        for name, (method, attr) in cls.handlers().items():
            handler = getattr(cls, "execute" if attr == EXECUTE_ATTR else attr)
            methods[name] = (method, _first_line_of(handler) if handler.__doc__ else name)
    return [methods[name] for name in sorted(methods)]


def describe(services: list[type[BaseService]]) -> dict[str, Any]:
    """The OpenRPC document of the methods ``services`` serve."""
    methods = _methods(services)
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for m, _summary in methods:
        models += [(m.params, "validation"), (m.result, "serialization")]
    refs, top = models_json_schema(models, ref_template=REF_TEMPLATE)
    schemas: dict[str, Any] = top.get("$defs", {})
    error_refs = [{"$ref": f"#/components/errors/{cls.__name__}"} for cls in error_classes()]
    described = []
    for m, summary in methods:
        params_ref = refs[(m.params, "validation")]
        params_schema = _resolve(params_ref, schemas)
        required = set(params_schema.get("required", []))
        params = [
            {"name": field, "required": field in required, "schema": schema}
            for field, schema in params_schema.get("properties", {}).items()
        ]
        described.append(
            {
                "name": m.name,
                "summary": summary,
                "description": (
                    f"Served by the '{m.service}' service (AMQP routing key '{m.service}'). "
                    f"Params: {_first_line_of(m.params)} Result: {_first_line_of(m.result)}"
                ),
                "paramStructure": "by-name",
                "params": params,
                "x-params-schema": params_ref,
                "result": {"name": "result", "schema": refs[(m.result, "serialization")]},
                "errors": error_refs,
            }
        )
    return {
        "openrpc": OPENRPC_VERSION,
        "info": {
            "title": "VideoTranslator workers",
            "version": __version__,
            "description": (
                "JSON-RPC 2.0 over RabbitMQ: requests are published to the direct exchange "
                "'<prefix>.rpc' with the service name as routing key, 'reply_to' and "
                "'correlation_id' set; the reply comes back on the 'reply_to' queue. Params "
                "are always an object (by name)."
            ),
        },
        "methods": described,
        "components": {
            "schemas": schemas,
            "errors": {
                cls.__name__: {
                    "code": cls.code,
                    "message": cls.default_message,
                    "data": {"description": _first_line_of(cls)},
                }
                for cls in error_classes()
            },
        },
    }


def _first_line_of(obj: Any) -> str:
    doc = (obj.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else str(getattr(obj, "__name__", obj))


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """A ``$ref`` into ``components.schemas`` followed (a schema without one as it is)."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(SCHEMAS):
        resolved: dict[str, Any] = schemas[ref.removeprefix(SCHEMAS)]
        return resolved
    return schema
