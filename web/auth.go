package web

import (
	"net"
	"net/http"
	"strings"

	"github.com/keeptrail/keeptrail"
)

// authenticate lets a request through to next only with a valid API key in
// "Authorization: Bearer <token>". The engine checks the key and audits every failure;
// the principal it returns travels in the request's context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := s.sourceIP(r)
		p, err := s.cfg.Engine.Authenticate(r.Context(), bearerToken(r.Header.Get("Authorization")), ip)
		if err == nil && p == nil {
			err = keeptrail.Errorf(keeptrail.EUNAUTHORIZED, "authentication failed")
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if p.SourceIP == "" {
			p.SourceIP = ip
		}
		if info := infoFrom(r.Context()); info != nil {
			info.principal = p.Name
		}
		next.ServeHTTP(w, r.WithContext(keeptrail.NewContextWithPrincipal(r.Context(), p)))
	})
}

// bearerToken returns the token of an "Authorization: Bearer <token>" header value, or
// "" when the header is absent or uses another scheme.
func bearerToken(header string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// sourceIP is the address a request came from: the peer address, or with TrustProxy the
// last X-Forwarded-For entry (added by the proxy in front).
func (s *Server) sourceIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			entries := strings.Split(xff[len(xff)-1], ",")
			if ip := net.ParseIP(strings.TrimSpace(entries[len(entries)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
