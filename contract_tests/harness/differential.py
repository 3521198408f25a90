"""Differential check: one generated request sequence, sent to both servers, answers compared.

A Hypothesis state machine draws requests from the contract (schemathesis builds one strategy
per operation from openapi.yaml: valid and invalid bodies and queries) and sends each request to
Django and to Litestar, as a user of each server created for the run. Item ids returned by the
two servers are paired, so later steps address "the same" item on both. Each pair of responses
is normalised (:func:`normalise_response`) and must be equal; a difference fails the run with
both responses printed.

Normalisation (the only liberties; each hides a value that legitimately differs per server):
  * ids: a UUID the two servers returned for the same create is replaced by one shared
    placeholder (``<item3>``); any other UUID (the user's own id) becomes ``<uuid>``
  * ``created_at`` / ``updated_at`` / ``started_at`` -> ``<timestamp>``, ``access_token`` ->
    ``<token>``; ``Location`` -> its path (hosts and ports differ)
  * problem bodies: ``type``, ``status`` and the set of error pointers (message texts are not
    part of the contract, CONTRACT.md decision 1)
  * item pages: ties in the sort key compared as a multiset, page-edge ties by key only
    (:func:`canonical_ties`: both servers break ties by their random ids)

Knobs (env): DIFFERENTIAL_EXAMPLES (scenarios, default 12; `make fuzz` uses 150) and the
schemathesis seed (SCHEMATHESIS_SEED, "random" for a random run).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import hypothesis
import schemathesis
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, rule
from schemathesis.schemas import BaseSchema

from harness.accounts import Account, new_account
from harness.fuzz import seed_setting
from harness.paths import OPENAPI_PATH
from harness.servers import LiveServer

DEFAULT_EXAMPLES = 12
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIMESTAMP_KEYS = frozenset({"created_at", "updated_at", "started_at"})


def examples() -> int:
    raw = os.environ.get("DIFFERENTIAL_EXAMPLES", "").strip()
    return int(raw) if raw else DEFAULT_EXAMPLES


@dataclass
class Side:
    """One server as the differential check sees it."""

    server: LiveServer
    client: httpx.Client
    account: Account
    #: this server's ids -> the placeholder shared by both sides
    aliases: dict[str, str] = field(default_factory=dict)


def _alias(value: str, side: Side) -> str:
    return UUID_RE.sub(lambda m: side.aliases.get(m.group(0), "<uuid>"), value)


def _normalise_json(value: Any, side: Side, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _normalise_json(v, side, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_normalise_json(v, side) for v in value]
    if isinstance(value, str):
        if key in TIMESTAMP_KEYS:
            return "<timestamp>"
        if key == "access_token":
            return "<token>"
        return _alias(value, side)
    return value


def normalise_response(resp: httpx.Response, side: Side) -> dict[str, Any]:
    """What must be equal: status, media type, Location path, the body (see the module doc).

    Item pages additionally go through :func:`canonical_ties` (equal sort keys).

    Problem bodies keep ``type``, ``status`` and the set of error pointers (never message text,
    CONTRACT.md decision 1); other JSON bodies are compared whole with ids replaced by paired
    placeholders, timestamps and tokens masked.
    """
    media = resp.headers.get("content-type", "").split(";")[0].strip()
    out: dict[str, Any] = {"status": resp.status_code, "media_type": media}
    if "location" in resp.headers:
        out["location"] = _alias(httpx.URL(resp.headers["location"]).path, side)
    if not resp.content:
        return out
    if media == "application/problem+json":
        body = resp.json()
        out["problem"] = {
            "type": body.get("type"),
            "status": body.get("status"),
            "pointers": sorted({e.get("pointer") for e in body.get("errors") or []}),
        }
    elif media.endswith("json"):
        out["body"] = _normalise_json(resp.json(), side)
    else:
        out["body_bytes"] = len(resp.content)
    return out


def canonical_ties(normal: dict[str, Any], ordering: str) -> dict[str, Any]:
    """A normalised item page with ties in the sort key put in one canonical order.

    Both servers break ties by item id (the contract's rule), and ids are random per server,
    so items with an equal sort key may come back in any order: within a tie they are sorted
    by their normalised JSON (a multiset comparison). A group at a page edge (the first one
    when ``offset > 0``, the last one when more items follow) may continue on the next page,
    so each server may show different members of it: only its sort-key values are kept
    (their number and values are still compared).
    ``created_at`` ordering is left alone: both servers create the items in the same sequence,
    and the masked timestamps would make every item look tied.
    """
    body = normal.get("body")
    field = ordering.lstrip("-")
    if (
        normal.get("status") != 200
        or field == "created_at"
        or not isinstance(body, dict)
        or not isinstance(body.get("items"), list)
    ):
        return normal
    items: list[Any] = body["items"]
    groups: list[list[Any]] = []
    for item in items:
        if groups and groups[-1][0].get(field) == item.get(field):
            groups[-1].append(item)
        else:
            groups.append([item])
    more_follow = body.get("offset", 0) + len(items) < body.get("total", 0)
    out: list[Any] = []
    for index, group in enumerate(groups):
        cut = (index == 0 and body.get("offset", 0) > 0) or (
            index == len(groups) - 1 and more_follow
        )
        if cut:
            out.extend({field: item.get(field), "tie": "cut by the page edge"} for item in group)
        else:
            out.extend(sorted(group, key=lambda item: json.dumps(item, sort_keys=True)))
    return {**normal, "body": {**body, "items": out}}


class Mismatch(AssertionError):
    """The servers answered one request differently."""


def _dump(resp: httpx.Response) -> str:
    return f"{resp.status_code} {resp.headers.get('content-type', '')}\n{resp.text[:1500]}"


@dataclass
class DifferentialRun:
    """Counters and the first mismatch of a run."""

    requests: int = 0
    scenarios: int = 0

    def summary(self) -> str:
        seed = seed_setting()
        return (
            f"differential: {self.scenarios} scenarios, {self.requests} request pairs, "
            f"seed {seed if seed is not None else 'random'}"
        )


def build_machine(
    schema: BaseSchema, sides: dict[str, Side], run: DifferentialRun
) -> type[RuleBasedStateMachine]:
    """The paired state machine over the items operations of ``schema``."""

    def strategy(path: str, method: str) -> st.SearchStrategy[Any]:
        return schema[path][method].as_strategy()

    create = strategy("/api/v1/items", "POST")
    listing = strategy("/api/v1/items", "GET")
    update = strategy("/api/v1/items/{item_id}", "PUT")
    patch = strategy("/api/v1/items/{item_id}", "PATCH")

    def send(
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, Any] | None = None,
        item: str | None = None,
    ) -> dict[str, httpx.Response]:
        run.requests += 1
        answers: dict[str, httpx.Response] = {}
        normal: dict[str, Any] = {}
        for name, side in sides.items():
            real_path = path
            if item is not None:
                real_id = next(k for k, v in side.aliases.items() if v == item)
                real_path = path.replace("{item_id}", real_id)
            kwargs: dict[str, Any] = {"headers": side.account.headers}
            if query:
                kwargs["params"] = query
            if body is not None:
                kwargs["json"] = body
            resp = side.client.request(method, real_path, **kwargs)
            answers[name] = resp
            normal[name] = normalise_response(resp, side)
            if method == "GET" and item is None:
                ordering = str((query or {}).get("ordering") or "created_at")
                normal[name] = canonical_ties(normal[name], ordering)
        first, second = list(sides)
        if normal[first] != normal[second]:
            request = f"{method} {path} item={item} query={query} body={json.dumps(body)[:500]}"
            raise Mismatch(
                f"the servers disagree on {request}\n"
                f"--- {first} (normalised): {normal[first]}\n"
                f"--- {second} (normalised): {normal[second]}\n"
                f"--- {first} raw: {_dump(answers[first])}\n"
                f"--- {second} raw: {_dump(answers[second])}"
            )
        return answers

    class PairedItems(RuleBasedStateMachine):
        items = Bundle("items")

        def __init__(self) -> None:
            super().__init__()
            run.scenarios += 1

        @rule(target=items, case=create)
        def create_item(self, case: Any) -> Any:
            answers = send("POST", "/api/v1/items", body=case.body)
            if all(r.status_code == 201 for r in answers.values()):
                alias = f"<item{len(next(iter(sides.values())).aliases)}>"
                for name, resp in answers.items():
                    sides[name].aliases[str(resp.json()["id"])] = alias
                return alias
            return hypothesis.stateful.multiple()

        @rule(item=items)
        def retrieve_item(self, item: str) -> None:
            send("GET", "/api/v1/items/{item_id}", item=item)

        @rule(item=items, case=update)
        def update_item(self, item: str, case: Any) -> None:
            send("PUT", "/api/v1/items/{item_id}", body=case.body, item=item)

        @rule(item=items, case=patch)
        def patch_item(self, item: str, case: Any) -> None:
            send("PATCH", "/api/v1/items/{item_id}", body=case.body, item=item)

        @rule(item=consumes(items))
        def destroy_item(self, item: str) -> None:
            send("DELETE", "/api/v1/items/{item_id}", item=item)
            send("GET", "/api/v1/items/{item_id}", item=item)

        @rule(case=listing)
        def list_items(self, case: Any) -> None:
            # Only this run's user's items are visible, so totals and pages must agree.
            send("GET", "/api/v1/items", query=case.query)

    return PairedItems


def run_differential(servers: dict[str, LiveServer]) -> DifferentialRun:
    """Drive both servers with one generated sequence; raise :class:`Mismatch` on a difference."""
    seed = seed_setting()
    schema = schemathesis.openapi.from_path(OPENAPI_PATH)
    run = DifferentialRun()
    clients = {
        name: httpx.Client(base_url=srv.base_url, timeout=15) for name, srv in servers.items()
    }
    try:
        sides = {
            name: Side(server=srv, client=clients[name], account=new_account(clients[name], "diff"))
            for name, srv in servers.items()
        }
        machine = build_machine(schema, sides, run)
        settings = hypothesis.settings(
            max_examples=examples(),
            stateful_step_count=10,
            deadline=None,
            derandomize=seed is not None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            # no shrinking: each step talks to two live servers whose state shrinking cannot undo
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        if seed is not None:
            machine = hypothesis.seed(seed)(machine)
        hypothesis.stateful.run_state_machine_as_test(machine, settings=settings)
    finally:
        for c in clients.values():
            c.close()
    return run
