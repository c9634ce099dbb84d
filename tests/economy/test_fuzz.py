"""Fuzz every /api/v1/economy route (schemathesis over the OpenAPI spec) as an admin, a consumer and the
public: no 5xx, ever, and every error in the API's one JSON shape."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shucang.share.ratelimit import RateLimiter

EXAMPLES = 6


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::PendingDeprecationWarning")
def test_no_server_errors_in_economy_routes(demo_app: Any) -> None:
    from shucang.share.access import PUBLIC, Actor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import schemathesis

    demo_app.state.api_rate_limiter = RateLimiter(10**7)
    demo_app.state.open_rate_limiter = RateLimiter(10**7)
    actors = [Actor(name="boss", role="admin", clearance=4, via="token"),
              Actor(name="reader", role="consumer", department="swj", via="token"), PUBLIC]
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", demo_app)
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith("/api/v1/economy")]
    assert len(operations) >= 12
    failures: list[str] = []

    def fuzzer(operation: Any) -> Any:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(), who=st.sampled_from(actors))
        def fuzz(case: Any, who: Any) -> None:
            demo_app.state.resolve_actor = lambda _request: who
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                response = case.call()
            if response.status_code >= 500:
                failures.append(f"{operation.path} → {response.status_code}: {response.text[:200]} "
                                f"({case.path_parameters}, {case.query})")
            elif response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
                body = response.json()
                if body.get("ok") is not False or "error" not in body:
                    failures.append(f"{operation.path} → error body {body}")

        return fuzz

    try:
        for operation in operations:
            fuzzer(operation)()
    finally:
        demo_app.state.resolve_actor = None
    assert not failures, "\n".join(failures[:20])
