import gc
import os

from django.core.asgi import get_asgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

from qinqing.core.checks import refuse_to_start_if_misconfigured  # noqa: E402

refuse_to_start_if_misconfigured()

# Import every view now, then move everything loaded so far (Django, the apps, the URL
# patterns) out of the garbage collector's reach: full collections no longer walk these
# long-lived objects, which otherwise cost 70–250 ms pauses under load (docs/benchmarks.md).
get_resolver().url_patterns  # noqa: B018
gc.freeze()
