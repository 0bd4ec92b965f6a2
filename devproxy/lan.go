package devproxy

import (
	"net"
	"net/netip"
	"strings"

	"github.com/devproxy/devproxy/devproxy/config"
	"github.com/devproxy/devproxy/devproxy/internal/web"
)

// LANAddresses returns this machine's addresses that another device on the
// local network (a phone) can reach: private IPv4 (RFC 1918) and IPv6
// unique-local addresses of interfaces that are up. Link-local and public
// addresses are left out: a phone on the same Wi-Fi uses the private one.
func LANAddresses() []netip.Addr {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if ok && ip.Unmap().IsPrivate() {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out
}

// isLocalIP reports whether ip is an address of one of this machine's
// interfaces, so a certificate for it names this machine.
func isLocalIP(ip net.IP) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// LANURLs returns the https URLs a phone on the local network opens to
// reach devproxy on port, one per address in lan that the listen address
// covers, for an https listen with allow_remote; otherwise none.
func LANURLs(cfg *config.Config, port string, lan []netip.Addr) []string {
	if !cfg.HTTPS || !cfg.AllowRemote {
		return nil
	}
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil
	}
	every := web.IsUnspecifiedHost(host)
	var out []string
	for _, ip := range lan {
		if !every && !strings.EqualFold(ip.String(), strings.Trim(host, "[]")) {
			continue
		}
		if host == "0.0.0.0" && !ip.Is4() {
			continue // 0.0.0.0 binds IPv4 only
		}
		out = append(out, "https://"+net.JoinHostPort(ip.String(), port)+"/")
	}
	return out
}
