"""Checks of our own for the fuzzing run (SCHEMATHESIS_HOOKS=tests.e2e.schemathesis_hooks)."""
import schemathesis


@schemathesis.check
def refusals_are_problem_json(ctx, response, case):
    """Every refusal (4xx) and failure (5xx) is RFC 9457 problem+json with a stable `code` (docs/api.md)."""
    if response.status_code < 400:
        return None
    headers = {k.lower(): v for k, v in response.headers.items()}
    content_type = headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if not content_type.startswith("application/problem+json"):
        raise AssertionError(f"{response.status_code} answered as {content_type!r}, not application/problem+json")
    body = response.json()
    if not isinstance(body, dict) or not body.get("code") or body.get("status") != response.status_code:
        raise AssertionError(f"{response.status_code} problem without a code or with another status: {body!r}")
    return None
