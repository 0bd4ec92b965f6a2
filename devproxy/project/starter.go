package project

// Starter is what `devproxy init` writes for a project it does not recognise.
const Starter = `# devproxy.toml: the browser talks only to devproxy, which serves your
# frontend and forwards API calls, so everything is same-origin: no CORS.
# Reference: https://github.com/devproxy/devproxy#configuration

listen = "localhost:3000"             # open http://localhost:3000

[frontend]
dev_server = "http://localhost:5173"  # Vite's default; webpack is often :8080, Next :3000
# static = "dist"                     # or serve a build directory instead

[routes]
"/api" = "http://localhost:8080"      # /api/* → your backend, path unchanged

# [routes."/auth"]
# target = "http://localhost:9000"
# strip_prefix = true                 # /auth/login is sent as /login
`
