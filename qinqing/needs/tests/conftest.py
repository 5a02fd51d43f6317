from io import StringIO

import pytest

from qinqing.core.demo import demo_uscc


@pytest.fixture
def world(demo_users):
    """Core demo + the firm register + the needs catalogue (no demo orders)."""
    from qinqing.enterprises import demo as enterprises_demo
    from qinqing.needs import services

    enterprises_demo.load(stdout=StringIO())
    services.catalogue_ensure_defaults(actor=None)
    return demo_users


@pytest.fixture
def qr(world):
    from qinqing.needs import services
    from qinqing.needs.models import QrCode

    return services.qr_create(actor=world["liaison"], origin=QrCode.Origin.GENERIC, label="测试码")


FIRM_USCC = demo_uscc("91420111", 3)  # core demo-firm (武汉示例科技有限公司), user `enterprise`
OTHER_USCC = demo_uscc("91420111", 110)  # a firm of the enterprises demo


@pytest.fixture
def submit(world, qr):
    from qinqing.needs import services
    from qinqing.needs.models import Need

    counter = iter(range(10_000))

    def _submit(text="数电票开票额度不够用，怎么申请提额？", uscc=FIRM_USCC, **kw):
        kw.setdefault("phone", f"1390000{next(counter):04d}")
        kw.setdefault("channel", Need.Channel.QR)
        kw.setdefault("qr", qr)
        return services.need_submit(actor=None, uscc=uscc, text=text, **kw)

    return _submit
