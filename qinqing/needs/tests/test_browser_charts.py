"""Charts in a real browser: the figures page and the needs dashboard draw ECharts charts from
their JSON (no inline script, no console error), each beside its table, and follow a phone's
width."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_url, username):
    page.goto(f"{live_url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("qinqing-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_url}/")


def test_figures_page_and_dashboard_draw_charts(browser_page, live_url, submit):
    submit()
    submit(text="办理施工许可需要哪些材料？")
    page = browser_page
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    _sign_in(page, live_url, "dispatcher")

    page.goto(f"{live_url}/figures/")
    # Opens on this year to date, with the quick periods.
    assert page.get_by_role("link", name="今年").get_attribute("aria-current") == "true"
    for label in ("本月", "本季度", "上年"):
        assert page.get_by_role("link", name=label).count() == 1
    assert "/api/v1/figures" not in page.content()
    chart = page.locator("[data-chart] svg").first
    chart.wait_for()
    assert page.locator("[data-chart] svg").count() >= 1
    assert page.locator("[data-chart] svg path, [data-chart] svg rect").count() > 3
    table = page.locator(".chart-table table").first
    assert table.locator("tbody tr").count() >= 1

    page.goto(f"{live_url}/needs/dashboard/")
    page.locator("[data-chart='chart-needs-dept'] svg").wait_for()
    assert page.locator("[data-chart] svg").count() == 4  # month, department, channel, category

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)  # the ResizeObserver redraws
    width = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-chart] svg')]"
        ".map(s => s.getBoundingClientRect().right))"
    )
    assert width <= 390
    assert problems == []


def test_common_needs_recomputed_on_the_queue_reload_when_done(browser_page, live_url, submit):
    """On a phone: before the first computation the page says what to do; 重新计算 queues it,
    the page shows it waiting, then reloads itself with the result once a worker ran it."""
    from qinqing.core.demo import demo_uscc
    from qinqing.core.testing import run_queued_tasks

    for firm in (3, 110, 111):  # three firms of the demo
        submit(uscc=demo_uscc("91420111", firm))
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, live_url, "dispatcher")
    page.goto(f"{live_url}/needs/common/")
    assert page.get_by_text("尚未统计共性需求").is_visible()
    page.get_by_role("button", name="重新计算").click()
    status = page.locator("#common-status")
    status.wait_for()
    assert "排队" in status.inner_text()
    assert page.get_by_role("button", name="重新计算").is_disabled()
    assert run_queued_tasks() == 1  # the worker's turn
    page.get_by_text("统计于").wait_for(timeout=15_000)  # the poll reloaded the page
    assert page.get_by_role("heading", name="（3 件，3 家企业）").count() == 2  # category, group
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
