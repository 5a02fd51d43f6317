"""评标统计: the sessions one may see, as charts with their tables."""

import json

from django.utils import timezone

from qinqing.bidding.draw import services
from qinqing.core.testing import ANONYMOUS, check_matrix


def test_dashboard_is_for_session_participants(client, world):
    ok = dict.fromkeys(["centre_wh", "centre_jk", "supervisor", "tenderer", "agent"], 200)
    no = dict.fromkeys(["editor", "judge", "creditor", "enterprise", "expert"], 403)
    check_matrix(client, {"/bidding/dashboard/": {**ok, **no, ANONYMOUS: 302}}, world)


def test_dashboard_counts_the_visible_sessions_and_answers(client, world):
    draw = services.draw_commit(actor=world["centre_wh"], quota=world["host"])
    services.draw_witness(actor=world["supervisor"], draw=draw, witness_entropy="3-5-1")
    day = timezone.localtime(world["session"].starts_at).date()
    client.force_login(world["centre_wh"])
    response = client.get(f"/bidding/dashboard/?start={day:%Y-01-01}&end={day}")
    assert response.status_code == 200
    text = response.content.decode()
    assert "vendor/echarts.min.js" in text

    def data(chart_id):
        start = text.index(f'<script id="chart-{chart_id}" type="application/json">')
        body = text[text.index(">", start) + 1 : text.index("</script>", start)]
        return json.loads(body)

    month = data("bidding-month")
    assert month["labels"][-1] == f"{day:%Y-%m}" and month["series"][0]["values"][-1] == 1
    assert data("bidding-centre")["labels"] == ["武汉市交易中心"]
    answers = data("bidding-answers")
    assert sum(answers["series"][0]["values"]) == 5  # 3 drawn + 2 backups of the host quota
    assert '<th scope="row">武汉市交易中心</th>' in text  # the table beside the chart

    # Another organisation sees none of it.
    client.force_login(world["judge"])
    assert client.get("/bidding/dashboard/").status_code == 403
