"""Start-up checks: a misconfiguration refuses to start with a plain message, rather than a
server that runs and silently writes data nobody can read back (a per-machine key)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from qinqing.core import crypto


def key_problems() -> list[str]:
    """What is wrong with the keys: malformed data keys anywhere; outside DEBUG, a SECRET_KEY
    not given by the environment or no QINQING_DATA_KEYS."""
    problems = []
    for number, text in enumerate(settings.QINQING_DATA_KEYS, 1):
        try:
            crypto.parse_key(text)
        except ValueError as exc:
            problems.append(f"QINQING_DATA_KEYS 的第 {number} 个密钥{exc}")
    signing = getattr(settings, "QINQING_SIGNING_KEY", "")
    if signing:
        try:
            crypto.parse_key(signing)
        except ValueError as exc:
            problems.append(f"QINQING_SIGNING_KEY {exc}")
    if settings.DEBUG:
        return problems
    if not getattr(settings, "SECRET_KEY_FROM_ENV", True):
        problems.append("未在环境变量中设置 SECRET_KEY：本机生成的 var/secret_key 换一台机器就不同")
    if not settings.QINQING_DATA_KEYS:
        problems.append(
            "未设置 QINQING_DATA_KEYS（个人信息加密密钥）：没有它，加密字段只能由本机的 "
            "SECRET_KEY 派生的密钥读出，备份在别处无法恢复；用 `qinqing rotate_keys --generate` "
            "生成一个"
        )
    if not signing:
        problems.append(
            "未设置 QINQING_SIGNING_KEY（平台签名密钥，签署公布的审计链锚点）：用 "
            "`qinqing rotate_keys --generate` 生成一个"
        )
    return problems


@register(Tags.security, deploy=True)
def keys_check(app_configs=None, **kwargs) -> list[Error]:
    return [Error(p, id=f"qinqing.E{n:03d}") for n, p in enumerate(key_problems(), 1)]


def refuse_to_start_if_misconfigured() -> None:
    """Called by the WSGI and ASGI entry points (gunicorn, uvicorn) before serving."""
    problems = key_problems()
    if problems:
        raise ImproperlyConfigured("亲清拒绝启动：" + "；".join(problems))
