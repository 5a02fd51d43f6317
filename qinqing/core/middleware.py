from django.conf import settings
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
