r"""Normalise OpenAPI documents and diff them: each server's generated schema vs openapi.yaml.

Two generators (drf-spectacular, Litestar) and a hand-written contract never spell the same API
the same way, so both sides go through :func:`normalise` first. The normal form keeps what a
client depends on and drops how a generator happens to write it:

Compared (per operation ``METHOD /path``)
  * ``operationId``, ``tags`` (as a set)
  * parameters, keyed ``in:name`` (header names lower-cased): ``required`` and the schema
  * the request body: ``required`` and one schema per media type
  * responses: the set of status codes and, per code, one schema per media type
  * ``security``: the alternatives, each a set of scheme names (rule 10)
and, once per document, ``components.securitySchemes`` (rule 10).

Normalisation (the ONLY liberties taken; each is a spelling difference, not a behaviour one)
  1. ordering: keys, ``required`` lists, ``tags`` and ``type`` lists are sorted/sets
  2. ``$ref`` naming: every ``$ref`` is resolved inline (``ItemRead`` == ``Item``)
  3. 3.0/3.1 nullable forms: ``nullable: true``, ``oneOf/anyOf [X, {type: null}]`` and
     ``type: [X, "null"]`` all become ``type: [X, "null"]`` (constraints hoisted from X)
  4. ``enum: [v]`` == ``const: v``; ``allOf`` of object schemas is merged into one object
  5. annotations are dropped: ``description``, ``summary``, ``title``, ``example(s)``,
     ``default``, ``deprecated``, ``readOnly``, ``writeOnly``, ``contentMediaType``,
     ``externalDocs``, ``x-*`` extensions, plus formats no JSON Schema validator checks
     (``decimal``, ``binary``, ``int32``/``int64``, ``float``/``double``)
  5b. a redundant ``minLength: 1`` is dropped: when ``enum``/``const`` has no ``""``, or the
     ``pattern`` or the ``format`` (email, uuid, uri, date-time) already rejects ``""``
     (DRF documents ``allow_blank=False`` as ``minLength: 1`` next to such constraints)
  6. a missing ``type`` is inferred from ``enum``/``const`` values (``enum: [a, b]`` is a
     string schema); numeric bounds are compared as doubles
     (``1.0 == 1``; Litestar writes bounds as floats); a one-option
     ``oneOf``/``anyOf`` is its option; ``required: []`` is no ``required``
  6b. regex escapes: ``\xHH`` == ``\u00HH`` in ``pattern`` (drf-spectacular rewrites the former)
  7. path/query/header/cookie parameters cannot carry JSON ``null``: ``"null"`` is dropped
     from their types (Litestar documents ``limit: int | None = None`` as integer-or-null)
  8. response bodies are compared by SHAPE: ``type`` (with nullability), ``properties``,
     ``required``, ``items``. Output-only constraints (``pattern``, ``format``, bounds,
     ``enum``/``const``, ``additionalProperties``) are the contract's promise about what the
     servers send; schemathesis' ``response_schema_conformance`` check holds every real
     response of both servers to them (tests/test_schemathesis.py with the contract), which
     is stronger than comparing what the generators write down.
  9. response headers and ``links`` are not compared (test_contract_document.py and the
     feature tests check them)
  10. security: an operation without ``security`` inherits the document's (none = ``[]``);
     ``[]`` == ``[{}]`` (no credentials needed); each alternative is a set of scheme names
     (scopes are empty for http/apiKey schemes). Security schemes are compared by ``type``,
     ``scheme`` (case-insensitive, RFC 9110), ``bearerFormat``, ``in`` and ``name``.

Everything else (``type``, ``properties``, ``required``, ``items``, ``enum``/``const``,
``pattern``, ``format``, length/number/item bounds, ``additionalProperties``) must be equal.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: Annotation keywords (rule 5): they document, they do not validate.
ANNOTATIONS = frozenset(
    {
        "description",
        "summary",
        "title",
        "example",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
        "externalDocs",
        "xml",
        "discriminator",
        "$schema",
        "$id",
    }
)
#: ``\xHH`` in a regex (rule 6b); drf-spectacular rewrites it as ``\u00HH``.
_HEX_ESCAPE = re.compile(r"(?<!\\)\\x([0-9A-Fa-f]{2})")
#: Compared as IEEE doubles (rule 6): Litestar writes 2**63-1 as 9.223372036854776e18.
NUMERIC_BOUNDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
#: Formats that no JSON Schema validator checks (drf-spectacular's DecimalField hint).
NON_VALIDATING_FORMATS = frozenset({"decimal", "binary", "int32", "int64", "float", "double"})


class Resolver:
    """Resolves local ``$ref`` pointers of one document."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def lookup(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are supported: {ref}")
        node: Any = self.doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def deref(self, node: Any) -> Any:
        """``node`` with a top-level ``$ref`` followed (repeatedly)."""
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = str(node["$ref"])
            if ref in seen:
                raise ValueError(f"$ref cycle at {ref}")
            seen.add(ref)
            node = self.lookup(ref)
        return node


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and (
        schema.get("type") == "null" or schema == {"const": None} or schema == {"enum": [None]}
    )


def _types(schema: dict[str, Any]) -> set[str]:
    raw = schema.get("type")
    if raw is None:
        return set()
    return {str(t) for t in raw} if isinstance(raw, list) else {str(raw)}


def _rejects_empty(schema: dict[str, Any]) -> bool:
    """Whether the schema's other keywords already refuse ``""`` (rule 5b)."""
    values = (
        schema["enum"] if "enum" in schema else [schema["const"]] if "const" in schema else None
    )
    if values is not None:
        return "" not in values
    if schema.get("format") in {"email", "uuid", "uri", "date-time", "date"}:
        return True
    pattern = schema.get("pattern")
    return isinstance(pattern, str) and re.search(pattern, "") is None


def _json_type(value: Any) -> str:
    """The JSON Schema type of a literal (rule 6)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


SHAPE_KEYWORDS = frozenset({"type", "properties", "required", "items", "oneOf", "anyOf"})


def shape(schema: Any) -> Any:
    """Rule 8: only the shape keywords of a normalised schema, recursively."""
    if isinstance(schema, list):
        return [shape(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in SHAPE_KEYWORDS:
            continue
        if key == "properties":
            out[key] = {name: shape(sub) for name, sub in value.items()}
        elif key in ("items", "oneOf", "anyOf"):
            out[key] = shape(value)
        else:
            out[key] = value
    return out


def _param_schema(schema: Any) -> Any:
    """Rule 7: a parameter's schema without ``"null"`` in its type."""
    if isinstance(schema, dict) and isinstance(schema.get("type"), list):
        types = [t for t in schema["type"] if t != "null"]
        schema = {**schema, "type": types[0] if len(types) == 1 else types}
    return schema


def _merge_all_of(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Rule 4: ``allOf`` of objects -> one object (properties merged, required united)."""
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key == "properties":
                props = merged.setdefault("properties", {})
                for name, sub in value.items():
                    props[name] = _merge_all_of([props[name], sub]) if name in props else sub
            elif key == "required":
                merged["required"] = sorted(set(merged.get("required", [])) | set(value))
            else:
                merged[key] = value
    return merged


def normalise_schema(node: Any, resolver: Resolver, depth: int = 0) -> Any:
    """The normal form of one JSON Schema (rules 1-5)."""
    if depth > 40:
        raise ValueError("schema nesting too deep (recursive $ref?)")
    node = resolver.deref(node)
    if isinstance(node, list):
        return [normalise_schema(n, resolver, depth + 1) for n in node]
    if not isinstance(node, dict):
        return node
    schema = {
        k: v
        for k, v in node.items()
        if k not in ANNOTATIONS and not k.startswith("x-") and k != "nullable"
    }
    nullable = node.get("nullable") is True
    # 3.0 / msgspec / pydantic nullable unions: oneOf/anyOf [X, null]
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if isinstance(options, list) and any(_is_null(resolver.deref(o)) for o in options):
            rest = [o for o in options if not _is_null(resolver.deref(o))]
            nullable = True
            del schema[key]
            if rest:
                schema[key] = rest
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if isinstance(options, list) and len(options) == 1:
            # a one-option union is its option (msgspec writes ``str | UNSET`` this way)
            del schema[key]
            schema = {**normalise_schema(options[0], resolver, depth + 1), **schema}
    if "allOf" in schema:
        parts = [normalise_schema(p, resolver, depth + 1) for p in schema.pop("allOf")]
        schema = _merge_all_of([*parts, schema])
    if isinstance(schema.get("enum"), list) and len(schema["enum"]) == 1:
        schema["const"] = schema.pop("enum")[0]
    if schema.get("format") in NON_VALIDATING_FORMATS:
        del schema["format"]
    if schema.get("minLength") == 1 and _rejects_empty(schema):
        del schema["minLength"]
    types = _types(schema)
    values = schema["enum"] if "enum" in schema else [schema["const"]] if "const" in schema else []
    if values and not types:
        types = {_json_type(v) for v in values}
    if types and (nullable or None in schema.get("enum", []) or "null" in types):
        types.add("null")
    if types:
        schema["type"] = sorted(types) if len(types) > 1 else types.pop()
    out: dict[str, Any] = {}
    for key in sorted(schema):
        value = schema[key]
        if key == "properties":
            out[key] = {
                name: normalise_schema(sub, resolver, depth + 1)
                for name, sub in sorted(value.items())
            }
        elif key in ("items", "additionalProperties", "not", "contains"):
            out[key] = normalise_schema(value, resolver, depth + 1)
        elif key in ("oneOf", "anyOf", "prefixItems"):
            out[key] = [normalise_schema(v, resolver, depth + 1) for v in value]
        elif key == "required":
            if value:  # ``required: []`` says nothing
                out[key] = sorted(value)
        elif key in NUMERIC_BOUNDS and isinstance(value, int | float):
            out[key] = float(value)
        elif key == "enum":
            out[key] = sorted(value, key=json.dumps)
        elif key == "pattern" and isinstance(value, str):
            out[key] = _HEX_ESCAPE.sub(lambda m: f"\\u00{m.group(1).upper()}", value)
        else:
            out[key] = value
    return out


def _content(
    content: dict[str, Any] | None, resolver: Resolver, *, response: bool = False
) -> dict[str, Any]:
    """media type -> normalised schema (its shape only for a response, rule 8)."""
    out: dict[str, Any] = {}
    for media, body in sorted((content or {}).items()):
        schema = normalise_schema(resolver.deref(body).get("schema", {}), resolver)
        out[media] = shape(schema) if response else schema
    return out


def _security(requirements: list[dict[str, Any]]) -> list[list[str]]:
    """Rule 10: the alternatives of an operation's security, each a sorted list of scheme names.

    ``[]`` and ``[{}]`` both say "no credentials needed" (drf-spectacular writes the latter
    for ``AllowAny`` views); scopes are always empty for these scheme types.
    """
    alternatives = sorted({tuple(sorted(requirement)) for requirement in requirements})
    return [] if alternatives == [()] else [list(names) for names in alternatives]


#: The security scheme fields a client acts on (rule 10); ``description`` is an annotation.
SCHEME_FIELDS = ("type", "scheme", "bearerFormat", "in", "name")


def normalise_security_schemes(doc: dict[str, Any]) -> dict[str, Any]:
    """``components.securitySchemes``: name -> the fields a client acts on (rule 10)."""
    resolver = Resolver(doc)
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    out: dict[str, Any] = {}
    for name, raw in sorted(schemes.items()):
        scheme = resolver.deref(raw)
        fields = {key: scheme[key] for key in SCHEME_FIELDS if key in scheme}
        if "scheme" in fields:  # HTTP auth scheme names are case-insensitive (RFC 9110)
            fields["scheme"] = str(fields["scheme"]).lower()
        out[name] = fields
    return out


def normalise(doc: dict[str, Any]) -> dict[str, Any]:
    """``"METHOD /path"`` -> the compared parts of that operation (see the module docstring)."""
    resolver = Resolver(doc)
    operations: dict[str, Any] = {}
    for path, raw_item in (doc.get("paths") or {}).items():
        item = resolver.deref(raw_item)
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            params: dict[str, Any] = {}
            for raw in [*shared, *op.get("parameters", [])]:
                param = resolver.deref(raw)
                name = str(param["name"])
                where = str(param["in"])
                key = f"{where}:{name.lower() if where == 'header' else name}"
                params[key] = {
                    "required": bool(param.get("required", where == "path")),
                    "schema": _param_schema(normalise_schema(param.get("schema", {}), resolver)),
                }
            entry: dict[str, Any] = {
                "operationId": op.get("operationId"),
                "tags": sorted(op.get("tags", [])),
                "parameters": dict(sorted(params.items())),
            }
            body = resolver.deref(op.get("requestBody")) if op.get("requestBody") else None
            if body is not None:
                entry["requestBody"] = {
                    "required": bool(body.get("required", False)),
                    "content": _content(body.get("content"), resolver),
                }
            entry["security"] = _security(op.get("security", doc.get("security", [])))
            entry["responses"] = {
                str(code): _content(resolver.deref(resp).get("content"), resolver, response=True)
                for code, resp in sorted((op.get("responses") or {}).items())
            }
            operations[f"{method.upper()} {path}"] = entry
    return dict(sorted(operations.items()))


def _dump(value: Any) -> list[str]:
    return json.dumps(value, indent=2, sort_keys=True).splitlines()


def diff_documents(
    contract: dict[str, Any], served: dict[str, Any], served_name: str = "served"
) -> list[str]:
    """Readable differences between two documents after :func:`normalise` (empty = equal).

    Missing/extra operations are listed by name; for an operation present on both sides, a
    unified diff of its normal form (``contract`` -> ``served_name``) follows.
    """
    want = normalise(contract)
    got = normalise(served)
    problems: list[str] = []
    want_schemes = normalise_security_schemes(contract)
    got_schemes = normalise_security_schemes(served)
    if want_schemes != got_schemes:
        lines = difflib.unified_diff(
            _dump(want_schemes),
            _dump(got_schemes),
            fromfile="contract components.securitySchemes",
            tofile=f"{served_name} components.securitySchemes",
            lineterm="",
        )
        problems.append("\n".join(lines))
    for key in want.keys() - got.keys():
        problems.append(f"{key}: in the contract, not in the {served_name} schema")
    for key in got.keys() - want.keys():
        problems.append(f"{key}: in the {served_name} schema, not in the contract")
    for key in sorted(want.keys() & got.keys()):
        if want[key] != got[key]:
            lines = difflib.unified_diff(
                _dump(want[key]),
                _dump(got[key]),
                fromfile=f"contract {key}",
                tofile=f"{served_name} {key}",
                lineterm="",
                n=4,
            )
            problems.append("\n".join(lines))
    return sorted(problems)
