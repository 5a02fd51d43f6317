"""Audit entries read as sentences: every audited action has a Chinese label."""

import ast
from pathlib import Path

import pytest

import qinqing
from qinqing.core.audit import audit_log
from qinqing.core.audit_labels import action_label, all_labels, describe
from qinqing.core.models import AuditEntry

ROOT = Path(qinqing.__file__).parent
AUDIT_CALLS = {"audit_log", "AuditRecord"}

# Actions built at run time from a value the code below cannot follow, listed by hand: when a
# new call site of this kind appears, the test names it (add its actions here and label them).
DYNAMIC = {
    "bankruptcy/services/deadlines.py": {
        "agreement.reminder_due_soon",
        "agreement.reminder_overdue",
    },
    "bankruptcy/services/phone.py": {"meeting.phone_identify", "claim.phone_lookup"},
    "bidding/draw/services.py": {"outcome.confirm", "outcome.decline", "outcome.recuse"},
    "bidding/report/services.py": {"report.build", "report.rebuild"},
    "needs/services/deadlines.py": {"need.remind", "need.urge", "need.supervise"},
    "bidding/evaluation/scoring/sheets.py": set(),  # forwards an AuditRecord's own action
    "core/admin.py": {"organisation.create_admin", "organisation.delete_admin"},
}


def _callee(node: ast.Call) -> str | None:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _action_arg(node: ast.Call):
    for kw in node.keywords:
        if kw.arg == "action":
            return kw.value
    if _callee(node) == "AuditRecord" and node.args:
        return node.args[0]
    return None


def _bound(call: ast.Call, func: ast.FunctionDef, param: str):
    for kw in call.keywords:
        if kw.arg == param:
            return kw.value
    names = [a.arg for a in func.args.posonlyargs + func.args.args]
    if param in names and names.index(param) < len(call.args):
        return call.args[names.index(param)]
    return None


def _imports(tree: ast.Module, module: str, name: str) -> bool:
    return any(
        isinstance(n, ast.ImportFrom) and n.module == module and name in {a.name for a in n.names}
        for n in ast.walk(tree)
    )


def audited_actions() -> tuple[dict[str, str], dict[str, list[str]]]:
    """Every action code passed to `audit_log`/`AuditRecord` in the code, following helpers
    (`_audit(actor, "case.create", …)`, `f"need.{verb}"` with `verb` a parameter); and, by file,
    the call sites whose action is computed some other way."""
    actions: dict[str, str] = {}
    unresolved: dict[str, list[str]] = {}
    trees = {
        path: ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(ROOT.rglob("*.py"))
        if not {"tests", "migrations"} & set(path.relative_to(ROOT).parts)
    }
    parents = {
        path: {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
        for path, tree in trees.items()
    }

    def enclosing(node, path):
        parent = parents[path]
        while node in parent:
            node = parent[node]
            if isinstance(node, ast.FunctionDef):
                return node
        return None

    for path, tree in trees.items():
        pending = [
            (_action_arg(n), n, path)
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and _callee(n) in AUDIT_CALLS and _action_arg(n) is not None
        ]
        seen = set()
        while pending:
            arg, node, where = pending.pop()
            rel = where.relative_to(ROOT).as_posix()
            for expr in [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]:
                if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
                    actions.setdefault(expr.value, f"{rel}:{node.lineno}")
                    continue
                prefix = param = None
                if isinstance(expr, ast.Name):
                    prefix, param = "", expr.id
                elif (
                    isinstance(expr, ast.JoinedStr)
                    and len(expr.values) == 2
                    and isinstance(expr.values[0], ast.Constant)
                    and isinstance(expr.values[1], ast.FormattedValue)
                    and isinstance(expr.values[1].value, ast.Name)
                ):
                    prefix, param = expr.values[0].value, expr.values[1].value.id
                func = enclosing(node, where)
                names = [a.arg for a in func.args.posonlyargs + func.args.args] if func else []
                names += [a.arg for a in func.args.kwonlyargs] if func else []
                if param is None or param not in names:
                    unresolved.setdefault(rel, []).append(f"{node.lineno}: {ast.unparse(expr)}")
                    continue
                if (rel, func.name, prefix, param) in seen:
                    continue
                seen.add((rel, func.name, prefix, param))
                # A helper is followed to its calls in its own file and in the other modules of
                # its package that import it by name (a package's shared module).
                module = ".".join(where.relative_to(ROOT.parent).with_suffix("").parts)
                calls = [
                    (c, p)
                    for p in trees
                    if p == where
                    or (p.parent == where.parent and _imports(trees[p], module, func.name))
                    for c in ast.walk(trees[p])
                    if isinstance(c, ast.Call) and _callee(c) == func.name
                ]
                if not calls:  # called from elsewhere: not followed
                    unresolved.setdefault(rel, []).append(f"{node.lineno}: {ast.unparse(expr)}")
                for call, at in calls:
                    bound = _bound(call, func, param)
                    at_rel = at.relative_to(ROOT).as_posix()
                    if isinstance(bound, ast.Constant):
                        actions.setdefault(prefix + bound.value, f"{at_rel}:{call.lineno}")
                    elif isinstance(bound, ast.Name) and prefix:
                        value = ast.FormattedValue(value=bound, conversion=-1)
                        joined = ast.JoinedStr(values=[ast.Constant(prefix), value])
                        pending.append((joined, call, at))
                    elif bound is not None:
                        pending.append((bound, call, at))
                    else:
                        unresolved.setdefault(at_rel, []).append(f"{call.lineno}: {func.name}(…)")
    return actions, unresolved


def test_every_audited_action_has_a_chinese_label():
    actions, unresolved = audited_actions()
    assert len(actions) > 150  # the collector still finds the code's actions
    assert {"auth.login", "need.submit", "claim.file", "seat.sign_in"} <= set(actions)
    assert set(unresolved) == set(DYNAMIC), unresolved
    wanted = dict(actions)
    for path, extra in DYNAMIC.items():
        wanted.update({action: path for action in extra})
    missing = {a: where for a, where in wanted.items() if action_label(a) == a}
    assert not missing, f"audited actions without a label: {missing}"


def test_labels_are_chinese_and_not_stale():
    actions, _ = audited_actions()
    known = set(actions) | {a for extra in DYNAMIC.values() for a in extra}
    for action, label in all_labels().items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(label)), action
    stale = set(all_labels()) - known
    assert not stale, f"labels of actions no code audits: {stale}"


def test_admin_actions_are_named_from_the_model():
    assert action_label("organisation.delete_admin") == "在后台删除组织机构"


@pytest.mark.django_db
def test_entries_read_as_sentences(demo_users):
    judge = demo_users["judge"]
    audit_log(actor=judge, action="auth.login", obj=judge)
    audit_log(actor=demo_users["admin"], action="user.create", obj=judge)
    login, created = describe(AuditEntry.objects.order_by("-seq")[:2][::-1])
    assert (login.who, login.what, login.target) == ("法官 郑洁", "登录", "")
    assert (created.who, created.what, created.target) == ("平台管理员", "新建账号", "法官 郑洁")


@pytest.mark.django_db
def test_audit_page_shows_words_not_codes(client, demo_users):
    client.force_login(demo_users["admin"])
    text = client.get("/audit/").content.decode()
    assert "新建账号" in text and "授予角色" in text
    assert "auth.user #" not in text and "<code>" not in text


@pytest.mark.django_db
def test_public_pages_offer_no_developer_links(client, demo_users):
    assert "接口文档" not in client.get("/login/").content.decode()
    client.force_login(demo_users["creditor"])
    assert "接口文档" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_describing_a_page_of_entries_costs_the_same_for_two_or_twenty(demo_users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qinqing.core.models import RoleGrant

    admin = demo_users["admin"]
    grants = list(RoleGrant.objects.order_by("pk"))
    assert len(grants) >= 10
    for grant in grants * 2:
        audit_log(actor=admin, action="role.grant", obj=grant)

    def queries(n: int) -> int:
        entries = list(AuditEntry.objects.filter(action="role.grant").order_by("-seq")[:n])
        with CaptureQueriesContext(connection) as captured:
            rows = describe(entries)
        assert len(rows) == n
        assert all(" · " in row.target for row in rows), [r.target for r in rows]
        return len(captured)

    assert queries(20) == queries(2)
