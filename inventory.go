package warden

import "context"

// ItemKind is a kind of inventory item.
type ItemKind string

// Inventory item kinds, in the order a sync creates them (the reverse of
// the order it deletes them).
const (
	ItemOrg        ItemKind = "org"
	ItemCredential ItemKind = "credential"
	ItemOwner      ItemKind = "owner"
	ItemUser       ItemKind = "user"
	ItemDependent  ItemKind = "dependent"
)

// ItemKinds are the inventory item kinds in creation order.
var ItemKinds = []ItemKind{ItemOrg, ItemCredential, ItemOwner, ItemUser, ItemDependent}

// Valid reports whether k is a known kind.
func (k ItemKind) Valid() bool {
	switch k {
	case ItemOrg, ItemCredential, ItemOwner, ItemUser, ItemDependent:
		return true
	}
	return false
}

// ItemKey identifies one inventory item.
type ItemKey struct {
	Kind ItemKind `json:"kind"`
	// Org is the org of a user or a dependent, and empty for the other
	// kinds (org, credential and owner names are unique on their own).
	Org string `json:"org,omitempty"`
	// Name is the item's name: the username of a user, the team of an
	// owner.
	Name string `json:"name"`
}

// String names the item for people: "org acme", "user acme/sync@acme.com".
func (k ItemKey) String() string {
	if k.Org != "" {
		return string(k.Kind) + " " + k.Org + "/" + k.Name
	}
	return string(k.Kind) + " " + k.Name
}

// DeclaredService records which inventory items the configuration file
// declared when it was last synced into the store. A sync deletes only
// the items recorded here that the file no longer declares, so items that
// CLI commands added (warden org add, warden discover --write) are never
// deleted because the file does not list them.
type DeclaredService interface {
	// Declared returns the recorded items, ordered by kind, org and name.
	// Items deleted since they were recorded may still be listed.
	Declared(ctx context.Context) ([]ItemKey, error)
	// SetDeclared replaces the recorded items with keys, at once.
	SetDeclared(ctx context.Context, keys []ItemKey) error
}
