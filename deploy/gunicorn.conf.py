"""gunicorn for Qinqing: `gunicorn -c deploy/gunicorn.conf.py config.wsgi` (docs/operations.md).

Threads (gthread): a request mostly waits on PostgreSQL, and gthread workers keep their database
connections; one process per core with 8 threads each is the measured configuration
(docs/benchmarks.md: 186 req/s against 122 for sync workers on the same machine). WEB_CONCURRENCY (processes) and
GUNICORN_THREADS tune it; GUNICORN_BIND moves the socket (loopback only: nginx is the front).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# PDF rendering of a long report is the slowest request; nginx waits 120 s too.
timeout = 120
graceful_timeout = 30
keepalive = 5
# Recycle a worker now and then, so that a slow leak cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500
# Both logs to stderr (the journal); the application's own records are JSON (settings.LOGGING).
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%({x-forwarded-for}i)s"'
