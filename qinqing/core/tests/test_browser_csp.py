"""The Content-Security-Policy in a real browser: the key pages run without one violation, and
the behaviour moved out of inline handlers (language selector, confirmations) still works."""

import pytest

from qinqing.core.testing import TEST_NOTICE_2027

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before each page's own scripts (Playwright injects it outside the page's policy).
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def _sign_in(page, live_url, username):
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")


def test_key_pages_show_no_policy_violation(browser_page, live_url, demo_users):
    page = browser_page
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(LISTEN)
    violations = []

    def visited(url=None):
        if url:
            page.goto(url)
        page.wait_for_load_state("load")
        violations.extend(f"{page.url}: {v}" for v in page.evaluate("window.__violations"))

    visited(f"{live_url}/login/")
    _sign_in(page, live_url, "dispatcher")
    visited()
    visited(f"{live_url}/needs/")
    page.get_by_role("button", name="退出").click()

    _sign_in(page, live_url, "admin")
    visited()
    visited(f"{live_url}/calendar/2027/edit/")
    page.get_by_label("通知正文").fill(TEST_NOTICE_2027)
    page.get_by_role("button", name="预览全年日历").click()
    page.get_by_role("heading", name="预览").wait_for()
    visited()
    visited(f"{live_url}/admin/")
    visited(f"{live_url}/api/v1/docs")
    page.locator(".swagger-ui .info").wait_for()
    visited()

    assert violations == []
    assert [text for text in console if "Content Security Policy" in text] == []


def test_the_language_selector_and_confirmations_work_under_the_policy(
    browser_page, live_url, demo_users
):
    page = browser_page
    _sign_in(page, live_url, "admin")
    page.select_option("#lang", "en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.get_by_text("My roles").is_visible()

    # A form asking before it is sent (as the bidding pages' closing and signing forms do); what
    # passes the question is counted instead of sent.
    page.evaluate(
        """() => {
          document.querySelector("main").insertAdjacentHTML("beforeend",
            '<form id="asks" data-confirm="Sure?"><button>Go</button></form>');
          window.__sent = 0;
          document.getElementById("asks").addEventListener("submit", (e) => {
            e.preventDefault();
            window.__sent += 1;
          });
        }"""
    )
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.locator("#asks button").click()
    assert questions == ["Sure?"] and page.evaluate("window.__sent") == 0
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.locator("#asks button").click()
    assert questions == ["Sure?", "Sure?"] and page.evaluate("window.__sent") == 1
