"""Shared pytest fixtures; module tests reuse them (and qinqing.core.testing)."""

import os

import pytest

# The route-coverage test compares the resolver with the routes every permission matrix
# requested, so it runs after all of them; it needs to know what this run collected.
_ROUTE_COVERAGE_TEST = "qinqing/core/tests/test_route_coverage.py"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Move the route-coverage test to the end of the run (after every matrix)."""
    items.sort(key=lambda item: item.path.as_posix().endswith(_ROUTE_COVERAGE_TEST))


def pytest_deselected(items):
    """Remember the files some of whose tests were deselected (-k, -m, --lf...)."""
    from qinqing.core import testing

    testing.DESELECTED_FILES.update(str(item.path) for item in items)


def pytest_collection_finish(session):
    """Remember which test files run: the route-coverage test skips unless every file with a
    permission matrix runs whole."""
    from qinqing.core import testing

    testing.COLLECTED_FILES.update(str(item.path) for item in session.items)


@pytest.fixture(autouse=True)
def outbox(settings):
    """Messages the notifier delivered during the test, with their real (unstored) text."""
    from qinqing.core import notifier

    settings.QINQING_NOTIFIER = "qinqing.core.notifier.MemoryBackend"
    notifier.outbox.clear()
    return notifier.outbox


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


_DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


@pytest.fixture(autouse=True)
def _working_day_calendar(request):
    """Tests that use the database read the holiday table like the product (this process's
    copy is dropped around each test, whose writes roll back); tests without one get the
    chinese-calendar package's calendar, which is what the table is seeded with."""
    from qinqing.core import calendar

    if _DB_FIXTURES & set(request.fixturenames) or request.node.get_closest_marker("django_db"):
        calendar.invalidate()
        yield
        calendar.invalidate()
    else:
        with calendar.override(calendar.package_calendar()):
            yield


@pytest.fixture(autouse=True)
def _process_caches_cleared():
    """Per-process caches keyed by row ids (the scoring's open stages: criteria and bidders by
    stage row and opening time) are emptied after each test: a test database gives the same ids
    and the demo's fixed times to other rows, which a real database never does."""
    yield
    from qinqing.bidding.evaluation.scoring import common as scoring_common

    scoring_common._STAGE_ITEMS.clear()


@pytest.fixture
def demo_users(db):
    """The core demo world (organisations and one account per role), keyed by username."""
    from io import StringIO

    from django.contrib.auth import get_user_model

    from qinqing.core import demo

    demo.load(stdout=StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def live_url(transactional_db):
    """A live server for one test. Unlike pytest-django's session-wide one, it is stopped (and
    its database connection closed) before the test database is dropped."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    thread = LiveServerThread("127.0.0.1", static_handler=StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


@pytest.fixture
def browser_page(live_url):
    """A Playwright page in Debian's chromium (never a downloaded browser)."""
    from django.db import connections

    sync_api = pytest.importorskip("playwright.sync_api")
    executable = os.environ.get("QINQING_CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(executable):
        pytest.fail(f"{executable} missing: `make test` installs Debian's chromium")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the live
    # server's test data set-up makes here are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()
        # Playwright's greenlet gives code run during the test its own context, hence its own
        # database connection; close it here, in that context.
        connections.close_all()
