//go:build !unix

package oauthtest

// lockFile returns at once without locking.
// NOTE: without flock, test processes of several packages may run npm ci at
// the same time on this platform.
func lockFile(path string) (unlock func(), err error) {
	return func() {}, nil
}
