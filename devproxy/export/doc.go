// Package export renders a devproxy route table as configuration for the
// web servers that run it in staging and production: an nginx server block
// (Nginx) and a Caddyfile site (Caddy), with a comment and a Warning
// wherever the engine cannot do what devproxy does. It never runs nginx or
// Caddy, never touches the network, and never writes a secret into its
// output: headers that come from the environment stay variable references.
package export
