module github.com/devproxy/devproxy

go 1.26.8

require github.com/BurntSushi/toml v1.6.0

require github.com/gorilla/websocket v1.5.3
