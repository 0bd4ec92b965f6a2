"""A one-file Flask 2.2 app for devproxy's browser tests (e2e/frameworks_flask_test.go).

A session login form, a home page, a CSRF-protected JSON POST, a logout form,
redirects and a server-sent event stream, all under /api, with Flask-WTF's
CSRFProtect. Run it with Debian's /usr/bin/python3 (python3-flask,
python3-flaskext.wtf); it prints "listening on 127.0.0.1:PORT" once it
accepts connections:

    /usr/bin/python3 serve.py

Behind devproxy's strip_prefix Flask learns the public prefix from the
X-Forwarded-Prefix header devproxy sends, through Werkzeug's
ProxyFix(x_prefix=1); the same process also serves a plain /api route,
where no prefix header arrives. The page at / reads the CSRF token from the
XSRF-TOKEN cookie (Path=/), as axios and Angular do.
"""

import time

from flask import Flask, Response, jsonify, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect, generate_csrf
from markupsafe import escape
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import make_server

app = Flask(__name__)
app.config.update(SECRET_KEY="devproxy-e2e-not-secret")
CSRFProtect(app)
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1)


def page(body):
    return ('<!doctype html><html><head><link rel="icon" href="data:,"><title>flask</title></head><body>'
            + body + "</body></html>")


@app.after_request
def xsrf_cookie(res):
    # The token the page's script sends back in X-CSRFToken.
    res.set_cookie("XSRF-TOKEN", generate_csrf(), path="/", samesite="Lax")
    return res


@app.get("/api/login")
def login_form():
    return page('<form id="login" method="post" action="%s">'
                '<input type="hidden" name="csrf_token" value="%s">'
                '<input id="username" name="username"><button id="submit">Sign in</button></form>'
                % (url_for("login"), generate_csrf()))


@app.post("/api/login")
def login():
    session["user"] = request.form["username"]
    return redirect(url_for("home"))


@app.get("/api/")
def home():
    user = session.get("user")
    if not user:
        return redirect(url_for("login_form"))
    return page('<p id="who">signed in as %s</p><a id="me" href="%s">me</a>'
                '<form id="logout" method="post" action="%s"><input type="hidden" name="csrf_token" value="%s">'
                '<button id="signout">Sign out</button></form>'
                % (escape(user), url_for("me"), url_for("logout"), generate_csrf()))


@app.get("/api/me")
def me():
    return jsonify(user=session.get("user"))


@app.post("/api/echo")
def echo():
    return jsonify(user=session.get("user"), got=request.get_json(silent=True))


@app.post("/api/logout")
def logout():
    session.clear()
    return redirect(url_for("login_form"))


@app.get("/api/to-home")
def to_home():
    # An absolute URL on devproxy's origin (X-Forwarded-Host through ProxyFix).
    return redirect(url_for("home", _external=True))


@app.get("/api/events")
def events():
    def stream():
        yield "data: hello\n\n"
        while True:  # ends when devproxy closes the connection (the write fails)
            time.sleep(0.1)
            yield ": keep-alive\n\n"
    return Response(stream(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})


if __name__ == "__main__":
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    srv.daemon_threads = True  # an open event stream must not keep the process alive
    print("listening on 127.0.0.1:%d" % srv.server_port, flush=True)
    srv.serve_forever()
