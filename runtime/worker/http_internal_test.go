package worker

import (
	"net"
	"os"
	"testing"
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
