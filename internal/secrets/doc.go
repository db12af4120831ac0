// Package secrets seals stored secrets with a master keyring and gives secret
// strings a type that redacts itself.
//
// A [Keyring] contains AES-256 keys, each named by a short key ID. The primary
// key seals, and every key in the ring opens. [Keyring.Seal] encrypts with
// AES-256-GCM under a fresh random 12-byte nonce and returns text of the form
//
//	v1.<key ID>.<base64url(nonce || ciphertext || tag)>
//
// The associated data ([AD]) names the org, table, column and row that store
// the value, and the version and key ID of the header are authenticated too.
// So [Keyring.Open] fails with [ErrOpen] when a sealed value is copied to
// another row, column, table or org, when any byte of it is changed, or when
// the key under its ID is not the key that sealed it. A key ID missing from
// the ring fails with [ErrUnknownKey], and text that is not a sealed value
// fails with [ErrMalformed].
//
// Rotation adds a new primary key and keeps the old ones, so old values still
// open; [Keyring.NeedsReseal] reports the values sealed under another key,
// which a rotation opens and seals again before the old key is removed.
//
// [LoadKeyring] reads the keyring from the environment, a key file, or the
// data folder, and creates a key file there on a first start. Errors about key
// text name the source and the expected format, never the key bytes.
//
// [Secret] is a string whose String, GoString, Format, LogValue and
// MarshalJSON methods print "[redacted]". fmt cannot call methods on
// unexported struct fields, so a Secret is only redacted by fmt when it is
// printed directly or sits in an exported field.
package secrets
