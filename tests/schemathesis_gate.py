"""The machinery of tests/test_schemathesis.py: Schemathesis as a library, one operation at a time.

For each operation Hypothesis draws cases from Schemathesis' strategies (valid requests, and invalid
ones), derandomized and without shrinking: a failure is recorded with its request and answer, and the
walk goes on, so one run lists every defect rather than the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SERVICES = ("auth", "timeline", "messaging", "planning", "exports")
POSITIVE_EXAMPLES = 8  # per operation: valid requests (path ids from the demo half of the time)
NEGATIVE_EXAMPLES = 3  # per operation: requests that break the document (wrong types, missing fields...)
# Ids of the seeded demo organisation, so generated requests reach real objects, not only 404s.
DEMO_IDS: dict[str, tuple[str, ...]] = {
    "child_id": ("child-noor", "child-liam"),
    "group_id": ("grp-rupsen", "grp-bijen"),
    "location_id": ("loc-zonnebloem",),
    "user_id": ("user-parent1", "user-staff1"),
    "placement_id": ("2025-09-01",),
}
SHOWN_FAILURES = 40


@dataclass
class Fuzzer:
    app: Any                      # the WSGI gateway
    callers: dict[str, tuple[str, dict[str, str]]]  # name → (role, Authorization header)
    cases: dict[str, int] = field(default_factory=dict)       # per service
    operation_counts: dict[str, int] = field(default_factory=dict)
    server_errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)  # answers by status
    failures: dict[tuple[str, str], str] = field(default_factory=dict)  # (operation, failure) → first report

    @property
    def operations(self) -> int:
        return sum(self.operation_counts.values())

    def run_document(self, service: str, document: dict[str, Any]) -> None:
        import schemathesis

        schema = schemathesis.openapi.from_dict(document)
        for result in schema.get_all_operations():
            operation = result.ok()
            self.operation_counts[service] = self.operation_counts.get(service, 0) + 1
            self._fuzz(service, operation)

    def _fuzz(self, service: str, operation: Any) -> None:
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import strategies as st
        from hypothesis.errors import Unsatisfiable
        from schemathesis import GenerationMode

        positive = [operation.as_strategy(GenerationMode.POSITIVE)]
        names = [p.name for p in operation.path_parameters] if operation.path_parameters else []
        known = {n: DEMO_IDS[n] for n in names if n in DEMO_IDS}
        if known:
            choices = [{n: values[i % len(values)] for n, values in known.items()}
                       for i in range(max(len(v) for v in known.values()))]
            positive += [operation.as_strategy(GenerationMode.POSITIVE, path_parameters=c) for c in choices]
        plans = [(st.one_of(positive), POSITIVE_EXAMPLES),
                 (operation.as_strategy(GenerationMode.NEGATIVE), NEGATIVE_EXAMPLES)]
        # Callers whose role may call the operation (the role check is cheap to pass by, and every
        # refusal matrix tests it); all of them where no role may (public routes).
        roles = set(operation.definition.raw.get("x-roles", ()))
        callers = sorted(name for name, (role, _) in self.callers.items() if role in roles) or sorted(self.callers)
        for strategy, examples in plans:
            @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            @given(case=strategy, caller=st.sampled_from(callers))
            def one(case: Any, caller: str) -> None:
                self._call(service, operation, case, caller)

            try:
                one()
            except Unsatisfiable:  # nothing to break (no parameters, no body): no negative case exists
                continue

    def _call(self, service: str, operation: Any, case: Any, caller: str) -> None:
        from schemathesis import checks as common
        from schemathesis.core.failures import FailureGroup
        from schemathesis.specs.openapi import checks as openapi

        self.cases[service] = self.cases.get(service, 0) + 1
        label = f"{service}: {operation.label}"
        try:
            response = case.call(app=self.app, headers=self.callers[caller][1])
        except Exception as exc:  # the gateway itself failed: as bad as a 500
            self.server_errors += 1
            self.failures.setdefault((label, type(exc).__name__), f"{caller}: {exc!r}")
            return
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            self.server_errors += 1
        try:
            case.validate_response(response, checks=[
                common.not_a_server_error, openapi.status_code_conformance, openapi.content_type_conformance,
                openapi.response_schema_conformance], transport_kwargs={"app": self.app})
        except FailureGroup as group:
            for failure in group.exceptions:
                self.failures.setdefault((label, failure.title),
                                         f"as {caller}, {case.as_curl_command()}\n{failure.message}\n"
                                         f"-> {response.status_code} {response.text[:400]}")

    def summary(self) -> list[str]:
        lines = [f"schemathesis: {service}: {self.cases.get(service, 0)} cases over "
                 f"{self.operation_counts.get(service, 0)} operations" for service in SERVICES]
        lines.append(f"schemathesis: {sum(self.cases.values())} cases over {self.operations} operations, "
                     f"{self.server_errors} server errors, {len(self.failures)} distinct failures")
        lines.append("schemathesis: answers " + ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items())))
        return lines

    def describe_failures(self) -> str:
        shown = sorted(self.failures.items())[:SHOWN_FAILURES]
        text = "\n\n".join(f"{operation} — {title}\n{detail}" for (operation, title), detail in shown)
        more = len(self.failures) - len(shown)
        return f"{len(self.failures)} distinct failures:\n\n{text}" + (f"\n\n… and {more} more" if more > 0 else "")
