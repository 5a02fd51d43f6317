import fnmatch
import json
import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation


class DefaultLanguageMiddleware:
    """Chinese unless the user chose another language (the set_language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; a district platform
    speaks Chinese to everyone by default, whatever the browser's locale.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


# --- hostile input: refused before any view, session or database sees it --------------------

# Control characters (C0, DEL, C1) and lone surrogates; a body may keep tab, CR and LF.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_IN_BODY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def refuse(request, status: int, message: str, *, code: str, field: str | None = None):
    """A refusal made before the session and the user are known: JSON for the API (the API's
    error body), otherwise a page that needs neither."""
    if request.path_info.startswith("/api/"):
        body = {"detail": message, "code": code}
        if field:
            body["field"] = field
        return JsonResponse(body, status=status)
    html = loader.get_template("refused.html").render({"status": status, "message": message})
    return HttpResponse(html, status=status)


class BodySizeLimitMiddleware:
    """Refuses (413) a request whose declared body is longer than its route takes, by its
    Content-Length and before a byte of it is read or spooled to disk.

    `QINQING_MAX_BODY_BYTES` is the limit of every route but those that take files, listed in
    `QINQING_BODY_LIMITS` as (path pattern, bytes); `*` stands for an id. A body without a
    Content-Length is not read by Django at all. Under ASGI the server reads the body before
    Django sees it: there only the proxy's limit protects the server."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.default = settings.QINQING_MAX_BODY_BYTES
        self.routes = [(pattern, limit) for pattern, limit in settings.QINQING_BODY_LIMITS]

    def limit_for(self, path: str) -> int:
        for pattern, limit in self.routes:
            if fnmatch.fnmatchcase(path, pattern):
                return limit
        return self.default

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body then
        if length > self.default and length > (limit := self.limit_for(request.path_info)):
            megabytes = f"{limit / (1024 * 1024):g}"
            message = f"请求内容超过本页允许的 {megabytes} MB 上限，请缩小文件或分批提交"
            return refuse(request, 413, message, code="too_large")
        return self.get_response(request)


def _json_strings(value):
    """Every string of a parsed JSON document, keys included (iteratively: no depth limit)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class ControlCharactersMiddleware:
    """Refuses (400) NUL and the other control characters in the path, the query string, form
    fields (names, values, file names) and JSON bodies; a body's values may hold tab, CR and LF.

    PostgreSQL cannot store NUL in text (psycopg raises, the request ended in a 500) and no
    input of this site needs a control character, so both databases refuse them the same way,
    once, here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found = self.offending(request)
        if found is not None:
            message = "请求中含有不允许的控制字符（如 NUL），请删除后重试"
            return refuse(request, 400, message, code="control_character", field=found or None)
        return self.get_response(request)

    @staticmethod
    def offending(request) -> str | None:
        """The name of the first input holding a control character ("" for the path or a
        body as a whole), or None."""
        if _CONTROL.search(request.path_info):
            return ""
        for name, values in request.GET.lists():
            if _CONTROL.search(name) or any(_CONTROL.search(v) for v in values):
                return name
        content_type = request.content_type or ""
        # Django parses a multipart body from the stream without keeping it, after which the
        # API (which reads request.body) could not read it. The API takes JSON only: it never
        # turns a multipart body into values (it answers 400, or ignores a body it takes none).
        forms = ["application/x-www-form-urlencoded"]
        if not request.path_info.startswith("/api/"):
            forms.append("multipart/form-data")
        if request.method == "POST" and content_type in forms:
            for name, values in request.POST.lists():
                if _CONTROL.search(name) or any(_CONTROL_IN_BODY.search(v) for v in values):
                    return name
            for name, uploads in request.FILES.lists():
                if _CONTROL.search(name) or any(_CONTROL.search(u.name or "") for u in uploads):
                    return name
        elif content_type == "application/json" or content_type.endswith("+json"):
            try:
                document = json.loads(request.body or b"null")
            except (ValueError, RecursionError):
                return None  # not JSON: the view answers that
            if any(_CONTROL_IN_BODY.search(s) for s in _json_strings(document)):
                return ""
        return None


class ContentSecurityPolicyMiddleware:
    """Sends settings.QINQING_CSP as the Content-Security-Policy of every response that has
    none (Django 5.2 has no CSP of its own): scripts only from this site's static files, so
    text that slipped past escaping cannot run."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.QINQING_CSP

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
