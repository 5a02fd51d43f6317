"""Django's Redis cache with one client per connection pool.

Django's `RedisCacheClient` builds a new `redis.Redis` for every cache call, and redis-py
copies its table of response callbacks each time. A client holds nothing but its pool and is
safe to share between threads, so one per pool serves every call. Sessions (`cached_db`) read
the cache on every request, which is where this shows.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class _PooledClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _PooledClient
