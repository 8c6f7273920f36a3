"""Offline IAM policy evaluation for the tests, through `simulator/simulate.mjs` (@cloud-copilot/iam-simulate).

Why: the AWS emulator the tests run against (moto) enforces no IAM, so a missing or too-narrow permission
would pass every other test. Here each request is evaluated against the real policy documents instead.
A whole batch goes to one `node` process (the library loads its action data once), so hundreds of
requests take about a second.

Install the Node side once: `npm ci --prefix tests/iam/simulator`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

SIMULATOR_DIR = Path(__file__).resolve().parent / "simulator"
SCRIPT = SIMULATOR_DIR / "simulate.mjs"
LIBRARY_MARKER = SIMULATOR_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate" / "package.json"
INSTALL_HINT = "run `npm ci --prefix tests/iam/simulator` (from the repository root)"
TIMEOUT_SECONDS = 300

Decision = Literal["Allowed", "ImplicitlyDenied", "ExplicitlyDenied", "Error"]
ContextValue = str | list[str]


class SimulatorUnavailable(RuntimeError):
    """Node or the simulator's node_modules is missing: the tests must fail (not skip) with the fix."""


class SimulatorFailed(RuntimeError):
    """simulate.mjs crashed or answered something that is not one result per request."""


@dataclass(frozen=True)
class Request:
    """One authorization AWS would make: who (principal) does what (action) to which resource, with which
    request context, under which policies.

    principal: a role/user ARN, or a service principal such as "events.amazonaws.com" (for which only the
        resource policy counts). resource: one concrete ARN or "*". context values are strings or lists of
        strings; booleans are "true"/"false". resource_account defaults to the resource ARN's account (or the
        principal's for "*"). wildcard_resource: "literal" matches policy Resource entries against the string
        "*" as AWS does; "overlap" keeps the library's "is some resource of this pattern allowed" view.
    """

    id: str
    principal: str
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    identity_policies: Sequence[Mapping[str, Any]] = ()
    resource_policy: Mapping[str, Any] | None = None
    resource_account: str | None = None
    principal_account: str | None = None
    wildcard_resource: Literal["literal", "overlap"] = "literal"

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "context": {k: list(v) if isinstance(v, list | tuple) else v for k, v in self.context.items()},
            "identityPolicies": [dict(p) for p in self.identity_policies],
            "resourcePolicy": dict(self.resource_policy) if self.resource_policy is not None else None,
            "wildcardResource": self.wildcard_resource,
        }
        if self.resource_account:
            doc["resourceAccount"] = self.resource_account
        if self.principal_account:
            doc["principalAccount"] = self.principal_account
        return doc


@dataclass(frozen=True)
class Result:
    """The decision for one Request. errors is non-empty exactly when decision is "Error" (an unknown
    action, a resource of the wrong type, a context key the action does not support, a bad policy...).
    explanation names the statements that decided, as "policy#Sid"."""

    id: str
    decision: Decision
    errors: tuple[str, ...] = ()
    explanation: str = ""

    @property
    def allowed(self) -> bool:
        return self.decision == "Allowed"

    def __str__(self) -> str:
        detail = "; ".join(self.errors) if self.errors else self.explanation
        return f"{self.id}: {self.decision} ({detail})"


def node_executable() -> str:
    """The node binary, or SimulatorUnavailable saying how to get a working simulator."""
    node = shutil.which("node")
    if node is None:
        raise SimulatorUnavailable(f"node is not on PATH: install Node.js 20+, then {INSTALL_HINT}")
    if not LIBRARY_MARKER.is_file():
        raise SimulatorUnavailable(f"{SIMULATOR_DIR / 'node_modules'} is missing: {INSTALL_HINT}")
    return node


def simulate(requests: Sequence[Request]) -> list[Result]:
    """Evaluate all `requests` in one node process; the results come back in the same order."""
    requests = list(requests)
    if not requests:
        return []
    ids = [r.id for r in requests]
    if len(set(ids)) != len(ids):
        raise ValueError(f"request ids must be unique, got duplicates in {ids}")
    node = node_executable()
    payload = json.dumps({"requests": [r.to_json() for r in requests]})
    try:
        done = subprocess.run(
            [node, str(SCRIPT)],
            input=payload,
            capture_output=True,
            text=True,
            cwd=SIMULATOR_DIR,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SimulatorFailed(f"simulate.mjs took more than {TIMEOUT_SECONDS}s for {len(requests)} requests") from exc
    if done.returncode != 0:
        stderr = done.stderr.strip()
        if "ERR_MODULE_NOT_FOUND" in stderr or "Cannot find package" in stderr:
            raise SimulatorUnavailable(f"simulate.mjs cannot load its library: {INSTALL_HINT}\n{stderr}")
        raise SimulatorFailed(f"simulate.mjs exited {done.returncode}: {stderr}")
    try:
        raw = json.loads(done.stdout)["results"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SimulatorFailed(f"simulate.mjs answered no results: {done.stdout[:500]!r}") from exc
    results = [
        Result(
            id=r["id"], decision=r["decision"], errors=tuple(r.get("errors", ())), explanation=r.get("explanation", "")
        )
        for r in raw
    ]
    if [r.id for r in results] != ids:
        raise SimulatorFailed(f"simulate.mjs answered ids {[r.id for r in results]} for {ids}")
    return results
