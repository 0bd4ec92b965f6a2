//go:build unix

package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// FastAPI 0.92 on uvicorn 0.17 (Debian's python3-fastapi and
// python3-uvicorn) behind a strip_prefix route, set up as FastAPI's docs
// say for a proxy that strips a prefix: uvicorn's root_path is the public
// prefix. One process serves every case.
var fastapiApp framework

func startFastAPI(t *testing.T) string {
	t.Helper()
	return pythonApp{fixture: "fastapi", check: "import fastapi, uvicorn",
		install: "FastAPI and uvicorn for /usr/bin/python3 not found; install them: apt-get install python3-fastapi python3-uvicorn",
	}.start(t, &fastapiApp, "fastapi", func(string) []string { return []string{"/fastapi"} })
}

// TestFastAPIBehindDevproxy: from the page at devproxy's root, FastAPI's
// trailing-slash redirect lands under the prefix on devproxy's origin, a
// JSON POST gets its 201 or FastAPI's 422 detail, a cookie set by the API
// is the page's and comes back, and the OpenAPI schema names the prefix.
func TestFastAPIBehindDevproxy(t *testing.T) {
	t.Parallel()
	app := startFastAPI(t)
	for _, changeOrigin := range []bool{false, true} {
		t.Run(fmt.Sprintf("strip_prefix, change_origin=%t", changeOrigin), func(t *testing.T) {
			t.Parallel()
			p := startProxy(t, routeConfig(pageDir(t), "/fastapi", app, true, changeOrigin))
			b := newPage(t)
			b.Goto(p.URL + "/")
			var got struct {
				ListURL    string `json:"listURL"`
				ListStatus int    `json:"listStatus"`
				Items      []struct{ Name string }
				Created    int
				Name       string
				Invalid    int
				Detail     string
				Me         string
				Cookie     string
				Server     string
				RootPath   string `json:"rootPath"`
				URLForMe   string `json:"urlForMe"`
			}
			b.Eval(`
				const json = {'Content-Type': 'application/json'};
				const list = await fetch('/fastapi/items'); // FastAPI answers 307 to /items/ under its root_path
				const created = await fetch('/fastapi/items/', {method: 'POST', headers: json, body: JSON.stringify({name: 'second'})});
				const invalid = await fetch('/fastapi/items/', {method: 'POST', headers: json, body: '{}'});
				await fetch('/fastapi/login?user=ada', {method: 'POST'});
				const me = await (await fetch('/fastapi/me')).json();
				const openapi = await (await fetch('/fastapi/openapi.json')).json();
				const where = await (await fetch('/fastapi/where')).json();
				return {listURL: list.url, listStatus: list.status, items: await list.json(),
					created: created.status, name: (await created.json()).name,
					invalid: invalid.status, detail: (await invalid.json()).detail[0].msg,
					me: me.user, cookie: document.cookie, server: openapi.servers[0].url,
					rootPath: where.root_path, urlForMe: where.url_for_me};`, &got)
			if got.ListURL != p.URL+"/fastapi/items/" || got.ListStatus != 200 || len(got.Items) == 0 || got.Items[0].Name != "first" {
				t.Errorf("GET /fastapi/items: followed to %s, %d, %v; want %s/fastapi/items/, 200 and the items", got.ListURL, got.ListStatus, got.Items, p.URL)
			}
			if got.Created != 201 || got.Name != "second" || got.Invalid != 422 || got.Detail != "field required" {
				t.Errorf("POSTs: %d %q and %d %q, want 201 \"second\" and 422 \"field required\"", got.Created, got.Name, got.Invalid, got.Detail)
			}
			if got.Me != "ada" || !strings.Contains(got.Cookie, "fastapi_user=ada") {
				t.Errorf("after login: /me says %q, document.cookie %q; want ada in both", got.Me, got.Cookie)
			}
			if got.Server != "/fastapi" || got.RootPath != "/fastapi" {
				t.Errorf("openapi.json servers %q, root_path %q; want /fastapi", got.Server, got.RootPath)
			}
			// url_for builds from Host: devproxy's own without change_origin.
			if want := p.URL + "/fastapi/me"; !changeOrigin && got.URLForMe != want {
				t.Errorf("url_for('me') = %q, want %q", got.URLForMe, want)
			}
			b.ExpectNoConsoleErrors("status of 422") // Chromium logs the invalid POST's answer
		})
	}
}
