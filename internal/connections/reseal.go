package connections

import (
	"context"
	"fmt"
	"strings"

	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// Reseal seals every stored secret that is not sealed under the keyring's
// primary key again under it, after a key rotation. The old keys must still
// be in the keyring. It returns the number of secrets resealed.
func (m *Manager) Reseal(ctx context.Context) (int, error) {
	return m.store.ResealAll(ctx, func(v store.SealedValue) (string, error) {
		if !m.keyring.NeedsReseal(v.Sealed) {
			return v.Sealed, nil
		}
		ad := secrets.AD{OrgID: v.OrgID, Table: v.Table, Column: v.Column, RowID: strings.Join(v.Key, "/")}
		plain, err := m.keyring.Open(v.Sealed, ad)
		if err != nil {
			return "", fmt.Errorf("opening %s.%s of row %s: %w", v.Table, v.Column, ad.RowID, err)
		}
		sealed, err := m.keyring.Seal(plain, ad)
		if err != nil {
			return "", fmt.Errorf("sealing %s.%s of row %s: %w", v.Table, v.Column, ad.RowID, err)
		}
		return sealed, nil
	})
}
