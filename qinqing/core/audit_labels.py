"""What each audited action means, in words people read ("张三 登录", "李四 提交诉求 …").

Every module keeps a `LABELS` dict (action code → Chinese verb phrase, gettext_lazy) in its own
`audit_labels.py`; they are read the first time a label is asked for. An action without a label
shows its code — `core/tests/test_audit_labels.py` fails when an action audited anywhere in the
code has none. The admin's generic actions (`<model>.create_admin` …) are named from the model.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.core.models import AuditEntry

LABELS: dict[str, str | Promise] = {
    "api_token.issue": gettext_lazy("签发 API 令牌"),
    "api_token.revoke": gettext_lazy("撤销 API 令牌"),
    "audit.anchor": gettext_lazy("锚定审计链"),
    "auth.login": gettext_lazy("登录"),
    "auth.login_code_sent": gettext_lazy("获取登录验证码"),
    "auth.login_failed": gettext_lazy("登录失败"),
    "auth.password_change": gettext_lazy("修改密码"),
    "auth.totp_disable": gettext_lazy("停用两步验证"),
    "auth.totp_enable": gettext_lazy("启用两步验证"),
    "auth.totp_start": gettext_lazy("开始设置两步验证"),
    "certificate.ca_init": gettext_lazy("建立平台根证书"),
    "certificate.issue": gettext_lazy("签发签名证书"),
    "certificate.revoke": gettext_lazy("吊销签名证书"),
    "calendar.notice_save": gettext_lazy("保存节假日安排通知"),
    "crypto.rotate_keys": gettext_lazy("轮换数据密钥"),
    "notification.read": gettext_lazy("阅读消息"),
    "notification.send": gettext_lazy("发送消息"),
    "notification.send_many": gettext_lazy("批量发送消息"),
    "organisation.create": gettext_lazy("新建机构"),
    "pdf.sign": gettext_lazy("对文件电子签名"),
    "role_grant.add": gettext_lazy("授予角色"),
    "role_grant.revoke": gettext_lazy("撤销角色"),
    "task.failed": gettext_lazy("后台任务失败"),
    "user.create": gettext_lazy("新建账号"),
}

_ADMIN_VERBS = {
    "create_admin": gettext_lazy("在后台新建"),
    "update_admin": gettext_lazy("在后台修改"),
    "delete_admin": gettext_lazy("在后台删除"),
}

_registry: dict[str, str | Promise] = {}


def register_labels(labels: Mapping[str, str | Promise]) -> None:
    for action, label in labels.items():
        if action in _registry and str(_registry[action]) != str(label):
            raise ValueError(f"audit action {action!r} labelled twice")
        _registry[action] = label


def all_labels() -> dict[str, str | Promise]:
    if not _registry:
        register_labels(LABELS)
        for app in apps.get_app_configs():
            if app.name.startswith("qinqing.") and app.name != "qinqing.core":
                try:
                    module = importlib.import_module(f"{app.name}.audit_labels")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{app.name}.audit_labels":
                        raise
                    continue
                register_labels(module.LABELS)
    return _registry


def action_label(action: str) -> str:
    """The Chinese verb phrase of an action; its code when none is registered."""
    label = all_labels().get(action)
    if label is not None:
        return str(label)
    model_name, _dot, verb = action.rpartition(".")
    if verb in _ADMIN_VERBS:
        return f"{_ADMIN_VERBS[verb]}{_model_verbose_name(model_name)}"
    return action


def _model_verbose_name(model_name: str) -> str:
    for model in apps.get_models():
        if model._meta.model_name == model_name:
            return str(model._meta.verbose_name)
    return model_name


def person_name(user) -> str:
    """A person as pages name them: the full name, else the login name."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def describe(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """The entries with `who`, `what` and `target` set for display: the actor's full name, the
    action in words, and the object's name (loaded in one query per object type)."""
    entries = list(entries)
    user_model = get_user_model()
    actor_ids = {e.actor_id for e in entries if e.actor_id}
    wanted: dict[str, set[str]] = {}
    for e in entries:
        if e.object_type and e.object_id:
            wanted.setdefault(e.object_type, set()).add(e.object_id)
    objects: dict[tuple[str, str], object] = {}
    for object_type, ids in wanted.items():
        try:
            model = apps.get_model(object_type)
        except (LookupError, ValueError):
            continue
        if model is user_model:
            ids = ids | {str(i) for i in actor_ids}
        try:
            keys = [model._meta.pk.to_python(i) for i in ids]
        except ValidationError:  # an id of another shape: shown as the id
            continue
        # The names are read through their non-null foreign keys (a role grant names its user
        # and organisation): followed in the same query, not one query per row.
        found = model._default_manager.select_related().in_bulk(keys)
        objects.update({(object_type, str(pk)): obj for pk, obj in found.items()})
    user_type = user_model._meta.label_lower
    missing_actors = [i for i in actor_ids if (user_type, str(i)) not in objects]
    for pk, user in user_model._default_manager.in_bulk(missing_actors).items():
        objects[(user_type, str(pk))] = user
    for e in entries:
        actor = objects.get((user_type, str(e.actor_id))) if e.actor_id else None
        e.who = person_name(actor) if actor else (_("系统") if not e.actor_id else e.actor_label)
        e.what = action_label(e.action)
        e.target = ""
        if e.object_type and not (e.object_type == user_type and e.object_id == str(e.actor_id)):
            obj = objects.get((e.object_type, e.object_id))
            if obj is None:
                e.target = _object_fallback(e.object_type, e.object_id)
            elif isinstance(obj, user_model):
                e.target = person_name(obj)
            else:
                e.target = str(obj)
    return entries


def _object_fallback(object_type: str, object_id: str) -> str:
    try:
        name = str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        name = object_type
    return f"{name} {object_id}".strip()
