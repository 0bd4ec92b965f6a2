"""A one-file Django 4.2 project for devproxy's browser tests (e2e/frameworks_django_test.go).

It serves the admin (session login, CSRF-protected forms), a CSRF-protected
JSON view, a view that redirects, and a server-sent event stream, on
127.0.0.1 at a free port, and prints "listening on 127.0.0.1:PORT" once it
accepts connections. Run it with Debian's /usr/bin/python3 (python3-django
from bookworm-backports):

    /usr/bin/python3 serve.py DBFILE [SCRIPT_NAME]

SCRIPT_NAME ("/backend") is the public prefix behind devproxy's
strip_prefix: Django learns it from FORCE_SCRIPT_NAME (Django does not read
X-Forwarded-Prefix), and the session cookie is scoped to it with
SESSION_COOKIE_PATH, as a prefix-aware deployment does. The CSRF cookie
keeps Path=/ so the page at / can read it. No CSRF_TRUSTED_ORIGINS: the
tests prove that devproxy needs none.
"""

import json
import socketserver
import sys
import time
from urllib.parse import urlparse

import django
from django.conf import settings

db, script_name = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")

settings.configure(
    DEBUG=True,  # the CSRF failure page then gives its reason, which devproxy reads
    SECRET_KEY="devproxy-e2e-not-secret",
    ALLOWED_HOSTS=["localhost", "127.0.0.1", "[::1]"],
    ROOT_URLCONF=__name__,
    FORCE_SCRIPT_NAME=script_name or None,
    SESSION_COOKIE_PATH=script_name or "/",
    STATIC_URL="static/",
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db}},
    INSTALLED_APPS=[
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
    ],
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ],
    TEMPLATES=[{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": [
            "django.template.context_processors.request",
            "django.contrib.auth.context_processors.auth",
            "django.contrib.messages.context_processors.messages",
        ]},
    }],
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    USE_TZ=True,
    LOGGING_CONFIG=None,
)
django.setup()

from django.contrib import admin  # noqa: E402  (after setup)
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.staticfiles.handlers import StaticFilesHandler  # noqa: E402
from django.contrib.staticfiles.views import serve as serve_static  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponseRedirect, JsonResponse, StreamingHttpResponse  # noqa: E402
from django.urls import path, reverse  # noqa: E402
from django.views.decorators.csrf import ensure_csrf_cookie  # noqa: E402


@ensure_csrf_cookie
def whoami(request):
    return JsonResponse({"user": request.user.username or None})


def echo(request):
    """A CSRF-protected JSON POST (CsrfViewMiddleware checks it)."""
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    return JsonResponse({"user": request.user.username or None, "got": json.loads(request.body or b"null")})


def to_admin(request):
    return HttpResponseRedirect(reverse("admin:index"))


def events(request):
    def stream():
        yield "data: hello\n\n"
        while True:  # ends when devproxy closes the connection (the write fails)
            time.sleep(0.1)
            yield ": keep-alive\n\n"
    res = StreamingHttpResponse(stream(), content_type="text/event-stream")
    res["Cache-Control"] = "no-cache"
    return res


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/whoami", whoami),
    path("api/echo", echo),
    path("api/to-admin", to_admin),
    path("api/events", events),
]


class StaticFiles(StaticFilesHandler):
    """runserver's static files, behind a script prefix too: static URLs
    carry it (/backend/static/...), requests arrive without it in
    PATH_INFO, as for every other view."""

    def serve(self, request):
        return serve_static(request, self.file_path(request.path_info), insecure=True)


class ThreadedServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True  # an open event stream must not keep the process alive


if __name__ == "__main__":
    call_command("migrate", verbosity=0, interactive=False)
    User.objects.create_superuser("admin", "admin@example.com", "devproxy-e2e")
    httpd = ThreadedServer(("127.0.0.1", 0), WSGIRequestHandler, ipv6=False)
    app = StaticFiles(get_wsgi_application())
    app.base_url = urlparse("/static/")
    httpd.set_app(app)
    print("listening on 127.0.0.1:%d" % httpd.server_address[1], flush=True)
    httpd.serve_forever()
