"""Every schema of the JSON API has a name of its own: django-ninja names an OpenAPI component
after its class, so two classes of one name (the opening's and the award's `ObjectionOut`)
made one endpoint document the other's fields — found by the API fuzzing as a schema
mismatch."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_no_two_api_schemas_share_a_name():
    import config.api  # noqa: F401  (imports every module's API)

    by_name = defaultdict(set)
    for cls in _subclasses(BaseModel):
        if cls.__module__.startswith("qinqing.") and ".tests." not in cls.__module__:
            by_name[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    shared = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert not shared, shared
