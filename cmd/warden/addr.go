package main

import (
	"net"

	"github.com/wardenhq/warden"
)

// loopbackAddr reports whether the listen address addr (host:port) binds
// to loopback only (warden.LoopbackHost). An empty host binds every
// interface, and every other host name counts as beyond loopback (a name
// is not resolved: what it resolves to can change).
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && host != "" && warden.LoopbackHost(host)
}
