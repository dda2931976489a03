package config

import (
	"net"
	"time"

	"github.com/wardenhq/warden"
)

// Broker configures the token broker that warden serve runs
// (docs/broker.md).
type Broker struct {
	// Addr, when set, gives the broker a listener of its own; otherwise
	// it is served on server.addr under /broker/v1/. A listener beyond
	// loopback needs TLSCert and TLSKey.
	Addr string `yaml:"addr,omitempty"`
	// TLSCert and TLSKey are PEM files (resolved like store.path) of the
	// broker listener's certificate and key.
	TLSCert string `yaml:"tlsCert,omitempty"`
	TLSKey  string `yaml:"tlsKey,omitempty"`
	// SessionLifetime is the orgs' session timeout (default 2h); the
	// broker mints a new token RefreshBefore its end (default 5m).
	SessionLifetime Duration `yaml:"sessionLifetime,omitempty"`
	RefreshBefore   Duration `yaml:"refreshBefore,omitempty"`
	// Rate and Burst limit each key's proxied calls per second (default
	// 100 and 200; -1 for no limit).
	Rate  float64 `yaml:"rate,omitempty"`
	Burst int     `yaml:"burst,omitempty"`
	// MaxBodyBytes bounds a proxied request body (default 32 MiB).
	MaxBodyBytes int64 `yaml:"maxBodyBytes,omitempty"`
	// FailurePause is how long a credential whose login failed is not
	// tried again (default 30s).
	FailurePause Duration `yaml:"failurePause,omitempty"`
}

// Broker defaults.
const (
	DefaultBrokerSessionLifetime = 2 * time.Hour
	DefaultBrokerRefreshBefore   = 5 * time.Minute
	DefaultBrokerRate            = 100
	DefaultBrokerBurst           = 200
	DefaultBrokerMaxBody         = 32 << 20
	DefaultBrokerFailurePause    = 30 * time.Second
)

// TLS reports whether the broker listener serves TLS.
func (b *Broker) TLS() bool { return b.TLSCert != "" }

func (v *validator) broker() {
	b := &v.c.Broker
	if b.Addr != "" {
		host, port, err := net.SplitHostPort(b.Addr)
		switch {
		case err != nil || !validPort(port, true):
			v.add("broker.addr", "%q is not host:port (e.g. 127.0.0.1:8443)", b.Addr)
		case !b.TLS() && !warden.LoopbackHost(host):
			v.add("broker.addr", "%q listens beyond loopback: give broker.tlsCert and broker.tlsKey, since applications send their broker keys to it", b.Addr)
		}
	}
	if (b.TLSCert == "") != (b.TLSKey == "") {
		v.add("broker.tlsKey", "broker.tlsCert and broker.tlsKey go together")
	}
	if b.TLS() && b.Addr == "" {
		v.add("broker.addr", "is required with broker.tlsCert: TLS is for the broker's own listener")
	}
	if b.SessionLifetime == 0 {
		b.SessionLifetime = Duration(DefaultBrokerSessionLifetime)
	} else if b.SessionLifetime.D() < time.Minute {
		v.add("broker.sessionLifetime", "must be at least 1m (the shortest session timeout Salesforce offers is 15m), got %s", b.SessionLifetime)
	}
	if b.RefreshBefore == 0 {
		b.RefreshBefore = Duration(min(DefaultBrokerRefreshBefore, b.SessionLifetime.D()/2))
	} else if b.RefreshBefore.D() < 0 || b.RefreshBefore.D() > b.SessionLifetime.D()/2 {
		v.add("broker.refreshBefore", "must be between 0 and half of broker.sessionLifetime (%s), got %s", b.SessionLifetime, b.RefreshBefore)
	}
	switch {
	case b.Rate == 0:
		b.Rate = DefaultBrokerRate
	case b.Rate < 0 && b.Rate != -1:
		v.add("broker.rate", "must be positive, or -1 for no limit, got %v", b.Rate)
	}
	switch {
	case b.Burst == 0:
		b.Burst = max(DefaultBrokerBurst, int(b.Rate))
	case b.Burst < 0:
		v.add("broker.burst", "must be positive, got %d", b.Burst)
	}
	switch {
	case b.MaxBodyBytes == 0:
		b.MaxBodyBytes = DefaultBrokerMaxBody
	case b.MaxBodyBytes < 1024:
		v.add("broker.maxBodyBytes", "must be at least 1024, got %d", b.MaxBodyBytes)
	}
	if b.FailurePause == 0 {
		b.FailurePause = Duration(DefaultBrokerFailurePause)
	} else if b.FailurePause.D() < time.Second {
		v.add("broker.failurePause", "must be at least 1s, got %s", b.FailurePause)
	}
}
