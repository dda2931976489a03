package main

import (
	"net/netip"
	"strings"

	"net"
)

// loopbackAddr reports whether the listen address addr (host:port) binds
// to loopback only: localhost or a loopback IP. An empty host binds every
// interface, and every other host name counts as beyond loopback (a name
// is not resolved: what it resolves to can change).
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
