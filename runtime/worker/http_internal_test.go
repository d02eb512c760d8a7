package worker

import (
	"net"
	"os"
	"testing"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
)

// The advertised URL: the one given, else the listening address, with
// the host name for an unspecified host.
func TestAdvertisedURL(t *testing.T) {
	host, _ := os.Hostname()
	for _, c := range []struct {
		given string
		addr  net.Addr
		want  string
	}{
		{"http://pod-1.svc:6066/", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6066}, "http://pod-1.svc:6066"},
		{"", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6066}, "http://127.0.0.1:6066"},
		{"", &net.TCPAddr{IP: net.IPv6unspecified, Port: 7000}, "http://" + net.JoinHostPort(host, "7000")},
		{"", &net.TCPAddr{IP: net.IPv4zero, Port: 7001}, "http://" + net.JoinHostPort(host, "7001")},
	} {
		if got := advertisedURL(c.given, c.addr); got != c.want {
			t.Errorf("advertisedURL(%q, %v) = %q, want %q", c.given, c.addr, got, c.want)
		}
	}
}

// TestHTTPAddrFromEnv: STREAMGEN_HTTP_ADDR is the HTTP address unless
// WithHTTPAddr gives one; it is explicit (a taken port fails the worker),
// so WithDefaultHTTPAddr does not replace it; "off" serves nothing.
func TestHTTPAddrFromEnv(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterLedgerAgents(app, testapp.Ledger{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env      string
		opts     []Option
		want     string
		fallback bool
	}{
		{"127.0.0.1:7070", nil, "127.0.0.1:7070", false},
		{"127.0.0.1:7070", []Option{WithDefaultHTTPAddr("127.0.0.1:6066")}, "127.0.0.1:7070", false},
		{"127.0.0.1:7070", []Option{WithHTTPAddr(":8080")}, ":8080", false},
		{"off", []Option{WithDefaultHTTPAddr("127.0.0.1:6066")}, "", false},
		{"", []Option{WithDefaultHTTPAddr("127.0.0.1:6066")}, "127.0.0.1:6066", true},
		{"", nil, "", false},
	} {
		t.Setenv(EnvHTTPAddr, c.env)
		cfg, err := newConfig(app, append([]Option{WithBrokers("127.0.0.1:1")}, c.opts...))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.httpAddr != c.want || cfg.httpFallback != c.fallback {
			t.Errorf("%s=%q with %d options: address %q (fallback %v), want %q (fallback %v)",
				EnvHTTPAddr, c.env, len(c.opts), cfg.httpAddr, cfg.httpFallback, c.want, c.fallback)
		}
	}
}
