"""Every route of the URL resolver is requested by some module's permission matrix (issue 23).

`qinqing.core.testing.check_matrix` notes the route each URL it requests resolves to; this
test runs after every other test (the root conftest moves it last) and walks the resolver. A
page route is covered by a matrix row of any method; an API route by a row of each method its
operations answer (ninja serves several operations on one path). Runs that do not collect every
test file with a matrix (one file, `-k`, `--lf`) skip it with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLResolver, get_resolver, reverse

import qinqing
from qinqing.core import testing

ANY_METHOD = "*"

# Routes no permission matrix needs to request, each with why.
EXCLUDED_PREFIXES = {
    # Django's admin: staff only, guarded by Django's own permission system (and the site's
    # sign-in with its second factor, `admin/login/`, which is in the core matrix); the core
    # matrix checks that /admin/ sends everyone but the administrator to sign in.
    "admin/": "Django admin (staff only, Django's own permission checks)",
    # Static files and uploads are served by the web server in production; in development by
    # Django's static view, which has no permission of its own to check.
    settings.STATIC_URL.lstrip("/"): "static files",
    settings.MEDIA_URL.lstrip("/"): "media files",
    # Django's language switch: anyone may choose the interface's language; it reads nothing.
    "i18n/": "Django's set_language (public by design, reads nothing)",
}
# The admin's sign-in is the site's own view (throttled, audited): it is in the core matrix.
REQUIRED_DESPITE_PREFIX = {"admin/login/"}

# Routes that no matrix requests yet (none now: keep it so). The test fails if a route is
# uncovered and not listed, and also if a listed route has become covered: the list only shrinks.
NOT_YET_IN_A_MATRIX: set[tuple[str, str]] = set()


def _join(prefix: str, pattern) -> str:
    """The route string as `ResolverMatch.route` gives it (Django's `_join_route`)."""
    route = str(pattern)
    return prefix + (route[1:] if route.startswith("^") else route)


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        route = _join(prefix, entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry, route)
        else:
            yield route


def excluded(route: str) -> str | None:
    """Why `route` needs no matrix row, or None when it does."""
    if route in REQUIRED_DESPITE_PREFIX:
        return None
    for prefix, reason in EXCLUDED_PREFIXES.items():
        if route.startswith(prefix):
            return reason
    return None


def _api_methods() -> tuple[str, dict[str, set[str]]]:
    """The API's route prefix, and the methods of each of its operations' routes (from the
    OpenAPI document, whose paths read `{name}` where the resolver reads `<int:name>`)."""
    from config.api import api

    root = reverse("api:api-root").lstrip("/")
    paths = api.get_openapi_schema()["paths"]
    methods = {path: {m.upper() for m in operations} for path, operations in paths.items()}
    return root, methods


def _openapi_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def required_routes() -> tuple[set[tuple[str, str]], dict[str, str]]:
    """(method or ANY_METHOD, route) for every route a matrix must request, and the excluded
    routes with their reasons."""
    api_root, api_methods = _api_methods()
    required, skipped = set(), {}
    for route in _walk(get_resolver()):
        if reason := excluded(route):
            skipped[route] = reason
            continue
        if route.startswith(api_root):
            methods = api_methods.get(_openapi_path(route))
            if methods is None:
                # The API's own pages (the OpenAPI document, its viewer, the root) are no
                # operation: any method's row covers them.
                required.add((ANY_METHOD, route))
            else:
                required.update((method, route) for method in methods)
        else:
            required.add((ANY_METHOD, route))
    return required, skipped


def uncovered(required: set[tuple[str, str]], recorded: set[tuple[str, str]]) -> set:
    """The required (method, route) pairs no recorded request covers; a page route
    (ANY_METHOD) is covered by a request of any method."""
    routes_requested = {route for _, route in recorded}
    return {
        (method, route)
        for method, route in required
        if (
            route not in routes_requested
            if method == ANY_METHOD
            else (method, route) not in recorded
        )
    }


def _matrix_files() -> set[str]:
    """Every test file that calls check_matrix (this file excepted)."""
    here = Path(__file__).resolve()
    return {
        str(path)
        for path in Path(qinqing.__file__).parent.rglob("test_*.py")
        if path.resolve() != here and "check_matrix(" in path.read_text(encoding="utf-8")
    }


def test_every_route_is_in_a_permission_matrix():
    files = _matrix_files()
    not_whole = sorted(
        f for f in files if f not in testing.COLLECTED_FILES or f in testing.DESELECTED_FILES
    )
    if not_whole:
        pytest.skip(
            f"route coverage needs every permission-matrix file run whole; "
            f"{len(not_whole)} of {len(files)} are not, e.g. {not_whole[0]}"
        )
    required, _ = required_routes()
    problems = coverage_problems(required, testing.MATRIX_ROUTES, NOT_YET_IN_A_MATRIX)
    assert not problems, "\n".join(problems)


def coverage_problems(required: set, recorded: set, not_yet: set) -> list[str]:
    """What to report: routes no matrix requested that are not listed as not yet covered,
    and listed routes a matrix now requests (the list only shrinks)."""
    missing_rows = uncovered(required, recorded)
    new = sorted(missing_rows - not_yet)
    now_covered = sorted(not_yet - missing_rows)
    problems = []
    if new:
        problems.append("routes in no permission matrix (add a row to the module's matrix):")
        problems += [f"{m} {r}" for m, r in new]
    if now_covered:
        problems.append("covered now: remove from NOT_YET_IN_A_MATRIX:")
        problems += [f"{m} {r}" for m, r in now_covered]
    return problems


def test_a_route_no_matrix_requested_is_reported():
    required = {
        (ANY_METHOD, "needs/<int:pk>/"),
        (ANY_METHOD, "needs/"),
        ("GET", "api/v1/needs/<int:need_id>"),
        ("PATCH", "api/v1/needs/<int:need_id>"),
    }
    recorded = {("POST", "needs/"), ("GET", "api/v1/needs/<int:need_id>")}
    assert uncovered(required, recorded) == {
        (ANY_METHOD, "needs/<int:pk>/"),
        ("PATCH", "api/v1/needs/<int:need_id>"),
    }
    assert (
        uncovered(
            required,
            recorded | {("GET", "needs/<int:pk>/"), ("PATCH", "api/v1/needs/<int:need_id>")},
        )
        == set()
    )


def test_the_not_yet_list_only_shrinks():
    required = {(ANY_METHOD, "needs/"), (ANY_METHOD, "needs/track/")}
    assert coverage_problems(required, {("GET", "needs/")}, {(ANY_METHOD, "needs/track/")}) == []
    assert coverage_problems(required, {("GET", "needs/")}, set()) == [
        "routes in no permission matrix (add a row to the module's matrix):",
        "* needs/track/",
    ]
    assert coverage_problems(
        required, {("GET", "needs/"), ("GET", "needs/track/")}, {(ANY_METHOD, "needs/track/")}
    ) == ["covered now: remove from NOT_YET_IN_A_MATRIX:", "* needs/track/"]


def test_check_matrix_records_the_resolved_route():
    routes = set()
    testing.record_matrix_route("get", "/needs/?page=2", routes)
    testing.record_matrix_route("post", "/api/v1/auth/token", routes)
    testing.record_matrix_route("get", "/no-such-page-at-all/", routes)
    assert routes == {("GET", "needs/"), ("POST", "api/v1/auth/token")}


def test_the_api_operations_and_exclusions_are_enumerated():
    required, skipped = required_routes()
    routes = {route for _, route in required}
    assert ("POST", "api/v1/auth/token") in required
    assert "admin/login/" in routes and "admin/" in skipped
    assert not any(route.startswith("admin/") for route in routes - {"admin/login/"})
