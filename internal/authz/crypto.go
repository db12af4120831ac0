package authz

import (
	"fmt"
	"strings"

	"github.com/plugboard/plugboard/internal/secrets"
)

// sealedAD binds the values that the op package encrypts, so they open
// only as authorization codes or access tokens of this server.
var sealedAD = secrets.AD{OrgID: "plugboard", Table: "authz", Column: "sealed_value", RowID: "v1"}

// keyringCrypto is the op.Crypto of the provider. The op package makes an
// authorization code by encrypting the request ID and an opaque access
// token by encrypting "<token ID>:<subject>". Sealing both with the master
// keyring lets every instance open what another issued, and keys retired by
// rotation still open older values.
type keyringCrypto struct {
	keyring *secrets.Keyring
}

func (c keyringCrypto) Encrypt(plain string) (string, error) {
	sealed, err := c.keyring.Seal([]byte(plain), sealedAD)
	if err != nil {
		return "", fmt.Errorf("sealing authorization value: %w", err)
	}
	return sealedPrefix + sealed, nil
}

func (c keyringCrypto) Decrypt(value string) (string, error) {
	sealed, ok := strings.CutPrefix(value, sealedPrefix)
	if !ok {
		return "", errMalformed
	}
	plain, err := c.keyring.Open(sealed, sealedAD)
	if err != nil {
		return "", fmt.Errorf("opening authorization value: %w", err)
	}
	return string(plain), nil
}
