package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
)

// sealedColumn is one column of sealed text and the key columns of its table.
type sealedColumn struct {
	table, column, field string
	key                  []string
}

var sealedColumns = []sealedColumn{
	{"applications", "client_secret_sealed", "client_secret", []string{"id"}},
	{"credentials", "access_token_sealed", "access_token", []string{"connection_id", "user_id"}},
	{"credentials", "refresh_token_sealed", "refresh_token", []string{"connection_id", "user_id"}},
	{"credentials", "secrets_sealed", "secrets", []string{"connection_id", "user_id"}},
	{"oauth_states", "verifier_sealed", "verifier", []string{"id"}},
	{"webhooks", "secret_sealed", "secret", []string{"id"}},
	{"webhooks", "previous_secret_sealed", "previous_secret", []string{"id"}},
	{"authz_signing_keys", "private_key_sealed", "private_key", []string{"id"}},
	{"pending_secrets", "value_sealed", "value", []string{"id"}},
}

// ResealAll rewrites every sealed value that reseal changes, in one
// transaction. Each table's rows with a sealed value are locked as they are
// read, so a concurrent update of one of them waits for the commit instead
// of being overwritten with text sealed from its old value.
func (s *Store) ResealAll(ctx context.Context, reseal func(store.SealedValue) (string, error)) (int, error) {
	changed := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		for _, col := range sealedColumns {
			n, err := resealColumn(ctx, tx, col, reseal)
			if err != nil {
				return err
			}
			changed += n
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return changed, nil
}

func resealColumn(ctx context.Context, tx pgx.Tx, col sealedColumn, reseal func(store.SealedValue) (string, error)) (int, error) {
	keyList := strings.Join(col.key, ", ")
	rows, err := tx.Query(ctx, `SELECT org_id, `+keyList+`, `+col.column+` FROM `+col.table+
		` WHERE `+col.column+` <> '' FOR UPDATE`)
	if err != nil {
		return 0, fmt.Errorf("reading %s.%s: %w", col.table, col.column, err)
	}
	values, err := collectRows(rows, func(row pgx.Row) (store.SealedValue, error) {
		v := store.SealedValue{Table: col.table, Column: col.field, Key: make([]string, len(col.key))}
		dest := []any{&v.OrgID}
		for i := range v.Key {
			dest = append(dest, &v.Key[i])
		}
		dest = append(dest, &v.Sealed)
		return v, row.Scan(dest...)
	}, col.table+"."+col.column)
	if err != nil {
		return 0, err
	}

	where := make([]string, len(col.key))
	for i, k := range col.key {
		where[i] = fmt.Sprintf("%s = $%d", k, i+3)
	}
	update := `UPDATE ` + col.table + ` SET ` + col.column + ` = $1 WHERE org_id = $2 AND ` + strings.Join(where, " AND ")
	changed := 0
	for _, v := range values {
		next, err := reseal(v)
		if err != nil {
			return 0, err
		}
		if next == v.Sealed {
			continue
		}
		args := []any{next, v.OrgID}
		for _, k := range v.Key {
			args = append(args, k)
		}
		if _, err := tx.Exec(ctx, update, args...); err != nil {
			return 0, fmt.Errorf("writing %s.%s: %w", col.table, col.column, err)
		}
		changed++
	}
	return changed, nil
}
