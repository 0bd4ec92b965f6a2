"""A one-file FastAPI app for devproxy's browser tests (e2e/frameworks_fastapi_test.go).

FastAPI 0.92 on uvicorn 0.17 (Debian's python3-fastapi and python3-uvicorn),
run as FastAPI's docs say to run it behind a proxy that strips a prefix:
uvicorn's root_path is the public prefix, so redirects, the OpenAPI schema
and url_for carry it. Run it with Debian's /usr/bin/python3; it prints
"listening on 127.0.0.1:PORT" once its socket accepts connections:

    /usr/bin/python3 serve.py /fastapi

It serves a JSON collection (/items/, with FastAPI's trailing-slash redirect
from /items), a validated POST (201, or FastAPI's 422 detail), a login that
sets a cookie for the whole site and /me that reads it back, and /where,
which says what the app learned about the request.
"""

import socket
import sys

import uvicorn
from fastapi import Cookie, FastAPI, Request, Response
from pydantic import BaseModel

app = FastAPI()
items = [{"id": 1, "name": "first"}]


class Item(BaseModel):
    name: str


@app.get("/items/")
def list_items():
    return items


@app.post("/items/", status_code=201)
def add_item(item: Item):
    items.append({"id": len(items) + 1, "name": item.name})
    return items[-1]


@app.post("/login")
def login(response: Response, user: str):
    # Path=/ so the page at devproxy's root sees it too (devproxy keeps a
    # root path as it is behind strip_prefix).
    response.set_cookie("fastapi_user", user, path="/", samesite="lax")
    return {"ok": True}


@app.get("/me")
def me(fastapi_user: str | None = Cookie(default=None)):
    return {"user": fastapi_user}


@app.get("/where")
def where(request: Request):
    return {
        "root_path": request.scope.get("root_path"),
        "url_for_me": str(request.url_for("me")),
        "scheme": request.url.scheme,
        "client": request.client.host if request.client else None,
        "forwarded_prefix": request.headers.get("x-forwarded-prefix"),
    }


if __name__ == "__main__":
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections queue from here on, before uvicorn's loop starts
    print("listening on 127.0.0.1:%d" % sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, root_path=sys.argv[1], log_level="warning",
                            proxy_headers=True, forwarded_allow_ips="127.0.0.1")
    uvicorn.Server(config).run(sockets=[sock])
