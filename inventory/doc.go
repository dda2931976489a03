// Package inventory answers the inventory questions of Warden: which users
// of an org are integration users (Discover), what breaks when one of them
// is frozen or its password changes (Impact), how to read the credentials
// the Salesforce CLI already holds (ParseAuthURL, ParseSFAuth), and what
// it takes to make the store hold the inventory a configuration declares
// (PlanSync, Apply): creations, updates, and deletions of only what an
// earlier sync took from the configuration.
//
// Discovery reads an org through a logged-in salesforce.Session with one
// composite request (plus a request per extra page of a large result) and
// gives every candidate the reasons it was found for:
//
//	licence Salesforce Integration
//	API Only User via profile P, permission set S
//	all N logins in the last 30 days were API logins (LoginType T)
//	holds OAuth tokens for connected apps: A, B
//
// The first three are each enough to list a user. OAuth tokens alone are
// not: people authorize apps too (the Salesforce mobile app, the Salesforce
// CLI, Data Loader), so a user whose only reason is its tokens is listed
// only when it made no interactive (browser) login in the window.
//
// Impact joins the inventory (users, credentials, dependents and owner
// teams) into one report and applies the rules spelt out in its Rules
// field. Neither function ever reads or returns a secret value: credentials
// are described by kind and by where their secret lives.
package inventory
