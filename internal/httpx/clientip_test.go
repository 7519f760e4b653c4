package httpx

import (
	"net/netip"
	"testing"
)

func TestRealClientIP(t *testing.T) {
	lb := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:1::/48")}
	a := netip.MustParseAddr
	tests := []struct {
		name    string
		remote  netip.Addr
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"no proxies configured: the header is ignored", a("198.51.100.7"), []string{"203.0.113.9"}, nil, "198.51.100.7"},
		{"peer not a trusted proxy: the header is ignored", a("198.51.100.7"), []string{"203.0.113.9"}, lb, "198.51.100.7"},
		{"one load balancer", a("10.0.0.2"), []string{"203.0.113.9"}, lb, "203.0.113.9"},
		{"spoofed left entries are skipped", a("10.0.0.2"), []string{"1.2.3.4, 5.6.7.8, 203.0.113.9"}, lb, "203.0.113.9"},
		{"spoofed entry naming a trusted proxy", a("10.0.0.2"), []string{"10.9.9.9, 203.0.113.9"}, lb, "203.0.113.9"},
		{"two trusted hops", a("10.0.0.2"), []string{"203.0.113.9, 10.0.0.3"}, lb, "203.0.113.9"},
		{"several header lines", a("10.0.0.2"), []string{"1.2.3.4", "203.0.113.9, 10.1.1.1"}, lb, "203.0.113.9"},
		{"garbage written by the client left of the real entry", a("10.0.0.2"), []string{"<script>, 203.0.113.9"}, lb, "203.0.113.9"},
		{"garbage right of every client entry stops at the hop that wrote it", a("10.0.0.2"), []string{"203.0.113.9, not-an-ip"}, lb, "10.0.0.2"},
		{"no header behind a proxy", a("10.0.0.2"), nil, lb, "10.0.0.2"},
		{"all hops trusted", a("10.0.0.2"), []string{"10.0.0.5, 10.0.0.4"}, lb, "10.0.0.5"},
		{"IPv6 client", a("2001:db8:1::2"), []string{"2001:db8:2::9"}, lb, "2001:db8:2::9"},
		{"address with port", a("10.0.0.2"), []string{"[2001:db8:2::9]:443"}, lb, "2001:db8:2::9"},
		{"IPv4-mapped peer", a("::ffff:10.0.0.2"), []string{"203.0.113.9"}, lb, "203.0.113.9"},
		{"empty entries", a("10.0.0.2"), []string{"203.0.113.9,, "}, lb, "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RealClientIP(tt.remote, tt.xff, tt.trusted); got != tt.want {
				t.Fatalf("RealClientIP(%v, %q) = %q, want %q", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
}
