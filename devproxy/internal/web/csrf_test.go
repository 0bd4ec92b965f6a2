package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRecognizeCSRF reads error bodies captured from the real frameworks
// (testdata/csrf: Django 4.2, Flask-WTF 1.1, Express 5 with csrf-sync) and
// Rails's documented messages in its JSON and text error formats.
func TestRecognizeCSRF(t *testing.T) {
	tests := []struct {
		file      string
		framework string
		kind      CSRFKind
		reason    string // a part of Reason
		origin    string
	}{
		{"django_origin.html", "Django", CSRFOrigin, "Origin checking failed - http://localhost:3100 does not match any trusted origins.", "http://localhost:3100"},
		{"django_no_cookie.html", "Django", CSRFNoCookie, "CSRF cookie not set.", ""},
		{"django_token.html", "Django", CSRFToken, "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.", ""},
		{"flask_wtf_missing.html", "Flask-WTF", CSRFToken, "The CSRF token is missing.", ""},
		{"express_csrf_sync.html", "Express", CSRFToken, "invalid csrf token", ""},
		{"rails_origin.json", "Rails", CSRFOrigin, "HTTP Origin header (http://localhost:3000) didn't match request.base_url (http://localhost:8000)", "http://localhost:3000"},
		{"rails_token.txt", "Rails", CSRFToken, "Can't verify CSRF token authenticity.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "csrf", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(body) > CSRFSniffLimit {
				body = body[:CSRFSniffLimit]
			}
			c, ok := RecognizeCSRF(body)
			if !ok {
				t.Fatalf("RecognizeCSRF(%s) = not a CSRF page", tt.file)
			}
			if c.Framework != tt.framework || c.Kind != tt.kind || !strings.Contains(c.Reason, tt.reason) || c.Origin != tt.origin {
				t.Errorf("RecognizeCSRF(%s) = %+v, want %s, kind %d, reason containing %q, origin %q", tt.file, c, tt.framework, tt.kind, tt.reason, tt.origin)
			}
			if strings.ContainsAny(c.Reason, "\r\n") {
				t.Errorf("Reason %q has a line break", c.Reason)
			}
		})
	}
}

func TestRecognizeCSRFLeavesOtherErrorsAlone(t *testing.T) {
	for _, body := range []string{
		"",
		"Forbidden",
		`{"detail":"Authentication credentials were not provided."}`,
		"<html><title>403 Forbidden</title><h1>Forbidden</h1><p>You don't have permission to access this resource.</p></html>",
		"<p>Set the csrf_token field in your form.</p>", // mentions CSRF, says nothing failed
	} {
		if c, ok := RecognizeCSRF([]byte(body)); ok {
			t.Errorf("RecognizeCSRF(%q) = %+v, want not a CSRF page", body, c)
		}
	}
}

func TestCSRFAdviceWording(t *testing.T) {
	if got, want := DjangoTrustedOrigins("http://localhost:3000"), `CSRF_TRUSTED_ORIGINS = ["http://localhost:3000"]`; got != want {
		t.Errorf("DjangoTrustedOrigins = %s, want %s", got, want)
	}
	if got, want := CSRFReasonHidden("Django"), "Django gives the reason only in debug mode (Django: DEBUG = True)"; got != want {
		t.Errorf("CSRFReasonHidden = %s, want %s", got, want)
	}
	for fw, want := range map[string]string{"Django": "X-CSRFToken", "Flask-WTF": "X-CSRFToken", "Rails": "X-CSRF-Token", "Express": "X-CSRF-Token", "Laravel": ""} {
		if got := CSRFTokenHeader(fw); got != want {
			t.Errorf("CSRFTokenHeader(%q) = %q, want %q", fw, got, want)
		}
	}
}
