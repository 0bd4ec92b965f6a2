package testkit

import (
	"strings"
	"testing"
)

// validHAR is the smallest HAR 1.2 file with one complete entry.
const validHAR = `{"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": [{
  "startedDateTime": "2026-01-02T03:04:05.678Z", "time": 12.5,
  "request": {"method": "GET", "url": "http://localhost:3000/a?b=1", "httpVersion": "HTTP/1.1", "cookies": [],
    "headers": [{"name": "Accept", "value": "*/*"}], "queryString": [{"name": "b", "value": "1"}], "headersSize": -1, "bodySize": 0},
  "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "cookies": [{"name": "s", "value": "x", "httpOnly": true}],
    "headers": [], "content": {"size": 2, "mimeType": "application/json", "text": "{}"}, "redirectURL": "", "headersSize": -1, "bodySize": 2},
  "cache": {}, "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": 10, "receive": 2.5, "ssl": -1}}]}}`

func TestValidateHARAcceptsValid(t *testing.T) {
	if err := ValidateHAR([]byte(validHAR)); err != nil {
		t.Fatalf("ValidateHAR(valid) = %v", err)
	}
}

func TestValidateHARFindsEachViolation(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"no version", `"version": "1.2", `, ``, "$.log: no version"},
		{"entries not an array", `"entries": [`, `"entries": "none", "x": [`, "$.log.entries: want an array"},
		{"bad date", `2026-01-02T03:04:05.678Z`, `yesterday`, `startedDateTime: "yesterday" is not an ISO 8601`},
		{"relative url", `http://localhost:3000/a?b=1`, `/a?b=1`, `url: "/a?b=1" is not an absolute URL`},
		{"status as string", `"status": 200`, `"status": "200"`, "response.status: want a number, got a string"},
		{"no cookies", `"cookies": [],`, ``, "request: no cookies (required)"},
		{"header without value", `{"name": "Accept", "value": "*/*"}`, `{"name": "Accept"}`, "headers[0]: no value"},
		{"negative wait", `"wait": 10`, `"wait": -10`, "timings.wait: -10 is negative"},
		{"dns below -1", `"dns": -1`, `"dns": -3`, "timings.dns: -3: want ≥ 0, or -1"},
		{"time not the sum", `"time": 12.5`, `"time": 99`, "time: 99 is not the sum of its timings (12.5)"},
		{"fractional size", `"size": 2`, `"size": 2.5`, "content.size: want an integer"},
		{"httpOnly as string", `"httpOnly": true`, `"httpOnly": "yes"`, "httpOnly: want a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := strings.Replace(validHAR, tt.old, tt.new, 1)
			if bad == validHAR {
				t.Fatalf("the case does not change the HAR (%q not found)", tt.old)
			}
			err := ValidateHAR([]byte(bad))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ValidateHAR = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
