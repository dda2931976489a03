package warden

import (
	"context"
	"time"
)

// Deliverer hands a credential's new secret material to one dependent
// application and proves the application works with it. The rotation
// engine calls it for every dependent of the rotated credential; package
// delivery implements it for every Delivery kind. Every method is
// idempotent: a rotation resumed after a crash may call it again with the
// same version.
type Deliverer interface {
	// Deliver gives d the material m of credential c's secret version
	// version (a secret-store reference, a rendered configuration file, a
	// signed webhook, a command hook, or a manual runbook). For manual
	// deliveries it records what the owner must do and returns a receipt
	// with Pending set until the owner confirms.
	Deliver(ctx context.Context, d *Dependent, c *Credential, m Material, version string) (*DeliveryReceipt, error)
	// Verify proves that d works with the delivered version: its health
	// URL, a test login with the delivered material, or Salesforce's login
	// history showing d's own logins succeed. It returns an error naming
	// what failed.
	Verify(ctx context.Context, d *Dependent, c *Credential, m Material, version string) error
	// Restore puts d back on the previous material (a rollback), or
	// records the manual step when it cannot.
	Restore(ctx context.Context, d *Dependent, c *Credential, previous Material, version string) error
}

// DeliveryReceipt is the outcome of one delivery.
type DeliveryReceipt struct {
	Dependent string   `json:"dependent"`
	Delivery  Delivery `json:"delivery"`
	Version   string   `json:"version"`
	// Detail says where the credential went (a path, a URL, a command),
	// never the material.
	Detail string `json:"detail,omitempty"`
	// Pending is true while a manual delivery waits for its owner.
	Pending bool      `json:"pending"`
	At      time.Time `json:"at"`
}
