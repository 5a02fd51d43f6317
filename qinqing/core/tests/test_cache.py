"""The Redis cache backend (used when REDIS_URL is set): one client per pool, same behaviour."""

import socket

import pytest

from qinqing.core.cache import RedisCache

URL = "redis://127.0.0.1:6379/9"


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")


def test_round_trip_and_one_client_per_pool():
    cache = RedisCache(URL, {"KEY_PREFIX": "qq-test"})
    cache.set("answer", {"value": 42}, 30)
    assert cache.get("answer") == {"value": 42}
    assert cache.get_many(["answer", "missing"]) == {"answer": {"value": 42}}
    assert cache.delete("answer") and cache.get("answer") is None
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client
    assert client.connection_pool is cache._cache._get_connection_pool(True)
