package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// healthz answers 200 "ok" while every stream thread's poll loop reports,
// and 503 naming the stuck threads otherwise.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	m := s.cfg.Metrics
	now := m.now()
	s.mu.Lock()
	start := s.start
	s.mu.Unlock()
	m.mu.Lock()
	stuck := m.status.stuck(now, start, s.cfg.StuckAfter, s.cfg.Threads)
	m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if len(stuck) == 0 {
		_, _ = w.Write([]byte("ok\n"))
		return
	}
	var b strings.Builder
	for _, t := range stuck {
		if t.never {
			fmt.Fprintf(&b, "stream thread %d is stuck: its poll loop has not reported since the server started %s ago (bound %s)\n",
				t.thread, t.silent.Round(time.Millisecond), s.cfg.StuckAfter)
		} else {
			fmt.Fprintf(&b, "stream thread %d is stuck: its poll loop last reported %s ago (bound %s)\n",
				t.thread, t.silent.Round(time.Millisecond), s.cfg.StuckAfter)
		}
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(b.String()))
}

// readyz answers 200 once every stream thread joined the group and no
// owned partition restores its tables, 503 otherwise; the body is a
// Readiness in JSON.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	m := s.cfg.Metrics
	m.mu.Lock()
	r := m.status.readiness(s.cfg.Threads)
	m.mu.Unlock()
	body, err := json.Marshal(r)
	if err != nil {
		// Readiness holds no value JSON cannot encode; say so if it ever does.
		s.log.Error("web: encoding readiness", "err", err)
		http.Error(w, "encoding readiness: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !r.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write(append(body, '\n'))
}
