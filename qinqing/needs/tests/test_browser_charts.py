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
