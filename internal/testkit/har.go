package testkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"
)

// ValidateHAR checks data against HAR 1.2
// (http://www.softwareishard.com/blog/har-12-spec/): every object the spec
// defines, with its required fields, their JSON types, the date and URL
// formats, the timings' ranges and that an entry's time is the sum of its
// timings. It returns every violation, joined, or nil. Fields the spec
// does not define are allowed, as the spec allows custom fields.
func ValidateHAR(data []byte) error {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	v := &harValidator{}
	root, ok := doc.(map[string]any)
	if !ok {
		return errors.New("$: not an object")
	}
	if log, ok := root["log"]; !ok {
		v.errf("$", "no log")
	} else {
		v.object("$.log", "log", log)
	}
	return errors.Join(v.errs...)
}

// harField is one field of a HAR object: its JSON type — "string",
// "number", "integer", "boolean", "datetime" (ISO 8601), "url", another
// object's name, or "[]" and an object's name for an array of them.
type harField struct {
	name, typ string
	required  bool
}

// harSchema is HAR 1.2, object by object.
var harSchema = map[string][]harField{
	"log": {{"version", "string", true}, {"creator", "creator", true}, {"browser", "creator", false},
		{"pages", "[]page", false}, {"entries", "[]entry", true}, {"comment", "string", false}},
	"creator": {{"name", "string", true}, {"version", "string", true}, {"comment", "string", false}},
	"page": {{"startedDateTime", "datetime", true}, {"id", "string", true}, {"title", "string", true},
		{"pageTimings", "pageTimings", true}, {"comment", "string", false}},
	"pageTimings": {{"onContentLoad", "number", false}, {"onLoad", "number", false}, {"comment", "string", false}},
	"entry": {{"pageref", "string", false}, {"startedDateTime", "datetime", true}, {"time", "number", true},
		{"request", "request", true}, {"response", "response", true}, {"cache", "cache", true}, {"timings", "timings", true},
		{"serverIPAddress", "string", false}, {"connection", "string", false}, {"comment", "string", false}},
	"request": {{"method", "string", true}, {"url", "url", true}, {"httpVersion", "string", true},
		{"cookies", "[]cookie", true}, {"headers", "[]pair", true}, {"queryString", "[]pair", true},
		{"postData", "postData", false}, {"headersSize", "integer", true}, {"bodySize", "integer", true}, {"comment", "string", false}},
	"response": {{"status", "integer", true}, {"statusText", "string", true}, {"httpVersion", "string", true},
		{"cookies", "[]cookie", true}, {"headers", "[]pair", true}, {"content", "content", true},
		{"redirectURL", "string", true}, {"headersSize", "integer", true}, {"bodySize", "integer", true}, {"comment", "string", false}},
	"cookie": {{"name", "string", true}, {"value", "string", true}, {"path", "string", false}, {"domain", "string", false},
		{"expires", "datetime", false}, {"httpOnly", "boolean", false}, {"secure", "boolean", false}, {"comment", "string", false}},
	"pair":     {{"name", "string", true}, {"value", "string", true}, {"comment", "string", false}},
	"postData": {{"mimeType", "string", true}, {"params", "[]param", false}, {"text", "string", false}, {"comment", "string", false}},
	"param": {{"name", "string", true}, {"value", "string", false}, {"fileName", "string", false},
		{"contentType", "string", false}, {"comment", "string", false}},
	"content": {{"size", "integer", true}, {"compression", "integer", false}, {"mimeType", "string", true},
		{"text", "string", false}, {"encoding", "string", false}, {"comment", "string", false}},
	"cache": {{"beforeRequest", "cacheEntry", false}, {"afterRequest", "cacheEntry", false}, {"comment", "string", false}},
	"cacheEntry": {{"expires", "datetime", false}, {"lastAccess", "datetime", true}, {"eTag", "string", true},
		{"hitCount", "integer", true}, {"comment", "string", false}},
	"timings": {{"blocked", "number", false}, {"dns", "number", false}, {"connect", "number", false},
		{"send", "number", true}, {"wait", "number", true}, {"receive", "number", true}, {"ssl", "number", false}, {"comment", "string", false}},
}

type harValidator struct{ errs []error }

func (v *harValidator) errf(at, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s: %s", at, fmt.Sprintf(format, args...)))
}

// object checks val as the HAR object called name, then the rules that
// span its fields.
func (v *harValidator) object(at, name string, val any) {
	obj, ok := val.(map[string]any)
	if !ok {
		v.errf(at, "want a %s object, got %s", name, jsonType(val))
		return
	}
	for _, f := range harSchema[name] {
		fv, present := obj[f.name]
		if !present {
			if f.required {
				v.errf(at, "no %s (required)", f.name)
			}
			continue
		}
		v.value(at+"."+f.name, f.typ, fv)
	}
	switch name {
	case "timings":
		v.timings(at, obj)
	case "entry":
		v.entryTime(at, obj)
	}
}

func (v *harValidator) value(at, typ string, val any) {
	if elem, ok := strings.CutPrefix(typ, "[]"); ok {
		arr, ok := val.([]any)
		if !ok {
			v.errf(at, "want an array, got %s", jsonType(val))
			return
		}
		for i, e := range arr {
			v.object(fmt.Sprintf("%s[%d]", at, i), elem, e)
		}
		return
	}
	switch typ {
	case "string", "datetime", "url":
		s, ok := val.(string)
		if !ok {
			v.errf(at, "want a string, got %s", jsonType(val))
			return
		}
		if typ == "datetime" {
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				v.errf(at, "%q is not an ISO 8601 date and time", s)
			}
		}
		if typ == "url" {
			if u, err := url.Parse(s); err != nil || u.Scheme == "" || u.Host == "" {
				v.errf(at, "%q is not an absolute URL", s)
			}
		}
	case "number", "integer":
		n, ok := val.(float64)
		if !ok {
			v.errf(at, "want a number, got %s", jsonType(val))
			return
		}
		if typ == "integer" && n != math.Trunc(n) {
			v.errf(at, "want an integer, got %v", n)
		}
	case "boolean":
		if _, ok := val.(bool); !ok {
			v.errf(at, "want a boolean, got %s", jsonType(val))
		}
	default:
		v.object(at, typ, val)
	}
}

// timings: send, wait and receive are never negative; the optional phases
// are -1 when they do not apply.
func (v *harValidator) timings(at string, obj map[string]any) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n, ok := obj[k].(float64)
		if !ok {
			continue
		}
		switch k {
		case "send", "wait", "receive":
			if n < 0 {
				v.errf(at+"."+k, "%v is negative", n)
			}
		case "blocked", "dns", "connect", "ssl":
			if n < 0 && n != -1 {
				v.errf(at+"."+k, "%v: want ≥ 0, or -1 when it does not apply", n)
			}
		}
	}
}

// entryTime: an entry's time is the sum of its timings other than -1 (ssl
// is part of connect, so it is not added again).
func (v *harValidator) entryTime(at string, obj map[string]any) {
	total, ok := obj["time"].(float64)
	timings, ok2 := obj["timings"].(map[string]any)
	if !ok || !ok2 {
		return
	}
	var sum float64
	for _, k := range []string{"blocked", "dns", "connect", "send", "wait", "receive"} {
		if n, ok := timings[k].(float64); ok && n != -1 {
			sum += n
		}
	}
	if math.Abs(sum-total) > 0.01 {
		v.errf(at+".time", "%v is not the sum of its timings (%v)", total, sum)
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
