package restapi

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Redactor removes secrets from text before it is shown or logged: the
// exact values it was told about (passwords in URLs, tokens, query values)
// and anything that looks like one (user:password@ in a URL, a bearer
// token, token=/password= pairs).
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// Mask replaces a secret.
const Mask = "***"

// Add registers secret values (empty and very short values are ignored:
// masking them would garble ordinary text). A value already known is not
// added again: credentials are registered each time they are (re)loaded.
func (r *Redactor) Add(secrets ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) < 4 {
			continue
		}
		for _, v := range []string{s, url.QueryEscape(s)} {
			if !slices.Contains(r.secrets, v) {
				r.secrets = append(r.secrets, v)
			}
		}
	}
}

// AddURL registers a URL's password and query values.
func (r *Redactor) AddURL(u *url.URL) {
	if u == nil {
		return
	}
	if p, ok := u.User.Password(); ok {
		r.Add(p)
	}
	for _, vs := range u.Query() {
		r.Add(vs...)
	}
}

var secretPatterns = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://)[^/\s@]*@`), "${1}" + Mask + "@"},
	{regexp.MustCompile(`(?i)\b(bearer|basic)\s+[a-z0-9._~+/=-]{6,}`), "${1} " + Mask},
	{regexp.MustCompile(`(?i)\b([a-z_]*(?:token|password|passwd|secret|api[_-]?key|credential)s?)(["']?\s*[=:]\s*["']?)[^\s&"',;]+`), "${1}${2}" + Mask},
}

// String returns s with every secret masked.
func (r *Redactor) String(s string) string {
	if r != nil {
		r.mu.RLock()
		for _, secret := range r.secrets {
			s = strings.ReplaceAll(s, secret, Mask)
		}
		r.mu.RUnlock()
	}
	for _, p := range secretPatterns {
		s = p.re.ReplaceAllString(s, p.repl)
	}
	return s
}
