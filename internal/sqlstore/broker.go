package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/wardenhq/warden"
)

// brokerKeyColumns are the columns scanBrokerKey reads, in order.
const brokerKeyColumns = `id, name, users, operations, dependent, hash, created_at, expires_at, last_used_at, revoked_at`

// CreateBrokerKey stores a new broker key; an existing ID is ECONFLICT.
// It sets CreatedAt to now and writes it into k.
func (s *Store) CreateBrokerKey(ctx context.Context, k *warden.BrokerKey) error {
	if k == nil {
		return s.wrap("CreateBrokerKey", invalid("broker key: must not be nil"))
	}
	if err := k.Validate(); err != nil {
		return s.wrap("CreateBrokerKey", err)
	}
	users, err := encodeList(k.Users)
	if err != nil {
		return s.wrap("CreateBrokerKey", err)
	}
	ops, err := encodeList(k.Operations)
	if err != nil {
		return s.wrap("CreateBrokerKey", err)
	}
	now := s.now()
	_, err = s.write.ExecContext(ctx, s.q(`INSERT INTO broker_keys (`+brokerKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		k.ID, k.Name, users, ops, k.Dependent, k.Hash, s.t(now), s.optT(k.ExpiresAt), s.optT(k.LastUsedAt), s.optT(k.RevokedAt))
	if err != nil {
		if kind, _ := s.d.Classify(err); kind == warden.ECONFLICT {
			return s.wrap("CreateBrokerKey", warden.Errorf(warden.ECONFLICT, "broker key %q already exists", k.ID))
		}
		return s.wrap("CreateBrokerKey", err)
	}
	k.CreatedAt = now
	if !k.ExpiresAt.IsZero() {
		k.ExpiresAt = normTime(k.ExpiresAt)
	}
	return nil
}

// BrokerKey returns the key with the given ID, or an ENOTFOUND error.
func (s *Store) BrokerKey(ctx context.Context, id string) (*warden.BrokerKey, error) {
	row := s.read.QueryRowContext(ctx, s.q(`SELECT `+brokerKeyColumns+` FROM broker_keys WHERE id = ?`), id)
	k, err := scanBrokerKey(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.wrap("BrokerKey", notFound("broker key %q not found", id))
	}
	return k, s.wrap("BrokerKey", err)
}

// BrokerKeys returns every key by ID.
func (s *Store) BrokerKeys(ctx context.Context) ([]*warden.BrokerKey, error) {
	keys, err := queryAll(ctx, s, scanBrokerKey, `SELECT `+brokerKeyColumns+` FROM broker_keys ORDER BY id`)
	return keys, s.wrap("BrokerKeys", err)
}

// RevokeBrokerKey marks the key revoked at at (zero: now), keeping an
// earlier revocation.
func (s *Store) RevokeBrokerKey(ctx context.Context, id string, at time.Time) error {
	err := s.updateKey(ctx, id, `UPDATE broker_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, s.orNow(at))
	return s.wrap("RevokeBrokerKey", err)
}

// TouchBrokerKey records a use of the key at at, unless a later one is
// recorded.
func (s *Store) TouchBrokerKey(ctx context.Context, id string, at time.Time) error {
	err := s.updateKey(ctx, id, `UPDATE broker_keys SET last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END WHERE id = ?`,
		s.orNow(at), s.orNow(at))
	return s.wrap("TouchBrokerKey", err)
}

// updateKey runs an UPDATE of one key whose last argument is the id, and
// returns ENOTFOUND when no key has it.
func (s *Store) updateKey(ctx context.Context, id, query string, times ...time.Time) error {
	args := make([]any, 0, len(times)+1)
	for _, t := range times {
		args = append(args, s.t(t))
	}
	return s.deleteRow(ctx, notFound("broker key %q not found", id), query, append(args, id)...)
}

// scanBrokerKey reads one key in brokerKeyColumns order.
func scanBrokerKey(sc scanner) (*warden.BrokerKey, error) {
	var k warden.BrokerKey
	var users, ops string
	if err := sc.Scan(&k.ID, &k.Name, &users, &ops, &k.Dependent, &k.Hash, (*timeCol)(&k.CreatedAt),
		(*optTimeCol)(&k.ExpiresAt), (*optTimeCol)(&k.LastUsedAt), (*optTimeCol)(&k.RevokedAt)); err != nil {
		return nil, err
	}
	var err error
	if k.Users, err = decodeList[string](users); err != nil {
		return nil, err
	}
	if k.Operations, err = decodeList[warden.BrokerOperation](ops); err != nil {
		return nil, err
	}
	return &k, nil
}
