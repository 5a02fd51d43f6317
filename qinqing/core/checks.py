"""Start-up checks: a misconfiguration refuses to start with a plain message, rather than a
server that runs and silently writes data nobody can read back (a per-machine key)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
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


# What collectstatic leaves out (its default --ignore patterns).
_STATIC_IGNORED = ["CVS", ".*", "*~"]
COLLECTSTATIC = "`qinqing collectstatic --no-input`"


def static_problem() -> str | None:
    """Outside DEBUG, pages name their static files through collectstatic's manifest: without
    it every page is a 500, and a file added since the last collectstatic (an upgrade) makes
    the pages that use it 500. Says what is missing, or None."""
    if settings.DEBUG or not isinstance(staticfiles_storage, ManifestFilesMixin):
        return None
    try:
        manifest, _hash = staticfiles_storage.load_manifest()
    except ValueError as exc:
        return f"静态文件清单无法读取（{exc}）：运行 {COLLECTSTATIC}"
    if not manifest:
        return (
            f"静态文件清单 {settings.STATIC_ROOT}/{staticfiles_storage.manifest_name} 不存在："
            f"页面无法引用样式和脚本，运行 {COLLECTSTATIC}"
        )
    sources = {path for finder in finders.get_finders() for path, _ in finder.list(_STATIC_IGNORED)}
    missing = sorted(sources - manifest.keys())
    missing += sorted(
        name for name in sources & manifest.keys() if not staticfiles_storage.exists(manifest[name])
    )
    if missing:
        return f"静态文件清单缺少 {len(missing)} 个文件（如 {missing[0]}）：运行 {COLLECTSTATIC}"
    return None


def host_problem() -> str | None:
    """Outside DEBUG, ALLOWED_HOSTS is the name the site is reached at, not the loopback default
    (which would answer 400 to every real request, or be copied into production by mistake)."""
    if settings.DEBUG or getattr(settings, "ALLOWED_HOSTS_FROM_ENV", True):
        return None
    return "未在环境变量中设置 ALLOWED_HOSTS（站点的域名，逗号分隔）：仍是开发用的本机默认值"


def configuration_problems() -> list[str]:
    """Everything that keeps this installation from serving: the keys, the host names, the
    static files."""
    return key_problems() + [p for p in (host_problem(), static_problem()) if p]


@register(Tags.security, deploy=True)
def keys_check(app_configs=None, **kwargs) -> list[Error]:
    return [Error(p, id=f"qinqing.E{n:03d}") for n, p in enumerate(key_problems(), 1)]


@register(Tags.staticfiles, deploy=True)
def static_files_check(app_configs=None, **kwargs) -> list[Error]:
    problem = static_problem()
    return [Error(problem, id="qinqing.E020")] if problem else []


@register(Tags.security, deploy=True)
def hosts_check(app_configs=None, **kwargs) -> list[Error]:
    problem = host_problem()
    return [Error(problem, id="qinqing.E021")] if problem else []


def refuse_to_start_if_misconfigured() -> None:
    """Called by the WSGI and ASGI entry points (gunicorn, uvicorn) before serving."""
    problems = configuration_problems()
    if problems:
        raise ImproperlyConfigured("亲清拒绝启动：" + "；".join(problems))
