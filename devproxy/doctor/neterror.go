package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
)

// netErrorName is the net::ERR_ name Chromium prints for a request that got
// no HTTP answer (net/base/net_error_list.h).
func netErrorName(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	switch {
	case errors.As(err, &dnsErr):
		return "ERR_NAME_NOT_RESOLVED"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "ERR_CONNECTION_REFUSED"
	case errors.Is(err, syscall.ECONNRESET):
		return "ERR_CONNECTION_RESET"
	case errors.As(err, &hostErr):
		return "ERR_CERT_COMMON_NAME_INVALID"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "ERR_CERT_DATE_INVALID"
	case errors.As(err, &unknownCA), errors.As(err, &certErr):
		return "ERR_CERT_AUTHORITY_INVALID"
	case errors.As(err, &recErr):
		return "ERR_SSL_PROTOCOL_ERROR"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return "ERR_TIMED_OUT"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "ERR_EMPTY_RESPONSE"
	}
	return "ERR_FAILED"
}

// unreachableHint says, in words, what to check for a request that never got an answer.
func unreachableHint(name, u string) string {
	host := u
	if pu, err := url.Parse(u); err == nil {
		host = pu.Host
	}
	switch name {
	case "ERR_NAME_NOT_RESOLVED":
		return fmt.Sprintf("the host name in %s does not resolve: check the URL (and the API base URL your frontend is built with)", u)
	case "ERR_CONNECTION_REFUSED":
		return fmt.Sprintf("nothing is listening on %s: is the backend running, on that port?", host)
	case "ERR_CERT_AUTHORITY_INVALID":
		return fmt.Sprintf("the TLS certificate of %s is not trusted (%s): if devproxy serves it, run `devproxy trust`; else pass its CA with --ca FILE, or use plain http:// in development", host, name)
	case "ERR_CERT_COMMON_NAME_INVALID", "ERR_CERT_DATE_INVALID":
		return fmt.Sprintf("the TLS certificate of %s is not trusted (%s): use a trusted certificate (e.g. mkcert) or plain http:// in development", host, name)
	case "ERR_SSL_PROTOCOL_ERROR":
		return fmt.Sprintf("%s did not answer TLS: is it plain HTTP? try http:// instead of https://", host)
	case "ERR_TIMED_OUT":
		return fmt.Sprintf("%s did not answer in time", host)
	}
	return fmt.Sprintf("the connection to %s failed", host)
}
