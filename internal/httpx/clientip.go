package httpx

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// LocalClientIP holds the client address ClientAddress worked out.
const LocalClientIP = "pa.client_ip"

// ClientAddress works out the client's address once per request. Without trusted proxies it is the
// peer address. Behind load balancers listed in trusted, it is the right-most X-Forwarded-For entry
// that is not itself a trusted proxy: each proxy appends the address it received the request from, so
// entries to the right of that one were written by proxies we trust and entries to its left were
// written by the client, who can put anything there.
func ClientAddress(trusted []netip.Prefix) fiber.Handler {
	return func(c *fiber.Ctx) error {
		remote, _ := netip.AddrFromSlice(c.Context().RemoteIP())
		var xff []string
		if len(trusted) > 0 {
			for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
				xff = append(xff, string(v))
			}
		}
		c.Locals(LocalClientIP, RealClientIP(remote, xff, trusted))
		return c.Next()
	}
}

// RealClientIP picks the client address from the peer address and the X-Forwarded-For header lines
// (in the order received): the right-most address that is not in trusted, walking in from the peer.
// An entry that is not an address stops the walk at the last trusted hop, which wrote it.
func RealClientIP(remote netip.Addr, xff []string, trusted []netip.Prefix) string {
	remote = remote.Unmap()
	if !isTrusted(remote, trusted) {
		return addrString(remote)
	}
	hop := remote
	for i := len(xff) - 1; i >= 0; i-- {
		parts := strings.Split(xff[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			p := strings.TrimSpace(parts[j])
			if p == "" {
				continue
			}
			a, err := netip.ParseAddr(p)
			if err != nil {
				if ap, err2 := netip.ParseAddrPort(p); err2 == nil { // "192.0.2.1:4711", "[2001:db8::1]:80"
					a, err = ap.Addr(), nil
				}
			}
			if err != nil {
				return addrString(hop)
			}
			a = a.Unmap().WithZone("")
			if !isTrusted(a, trusted) {
				return addrString(a)
			}
			hop = a
		}
	}
	return addrString(hop) // every hop is a trusted proxy: the left-most is the nearest we know
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
