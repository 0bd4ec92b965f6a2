// Package config reads, validates and compares devproxy.toml: every value
// resolved (defaults, ${VAR}, absolute paths) and every problem reported at
// once as file:line:col with what was expected and a line to paste. It is a
// leaf: it never touches the network and imports no devproxy package but web.
package config
