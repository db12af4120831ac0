package connections_test

import (
	"testing"
	"time"
)

func TestLastUsedRecordedOncePerMinute(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices", "devices.read"))
	f.connect(t, f.developer, conn.LinkName)

	lastUsed := func() time.Time {
		t.Helper()
		sum, err := f.manager.Describe(f.ctx, f.developer, conn)
		if err != nil {
			t.Fatal(err)
		}
		return sum.LastUsedAt
	}
	if got := lastUsed(); !got.IsZero() {
		t.Fatalf("last used before any call = %v, want the zero time", got)
	}

	first := f.clock.Now()
	if _, err := f.manager.PrepareCall(f.ctx, f.developer, conn.LinkName); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); !got.Equal(first) {
		t.Errorf("last used after a call = %v, want %v", got, first)
	}

	// A call within a minute writes nothing; one after it does.
	f.clock.Advance(30 * time.Second)
	if _, err := f.manager.PrepareCall(f.ctx, f.developer, conn.LinkName); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); !got.Equal(first) {
		t.Errorf("last used after a call 30s later = %v, want the first call's %v", got, first)
	}
	f.clock.Advance(31 * time.Second)
	if _, err := f.manager.Token(f.ctx, f.developer, conn.LinkName); err != nil {
		t.Fatal(err)
	}
	if got, want := lastUsed(), f.clock.Now(); !got.Equal(want) {
		t.Errorf("last used after a token fetch 61s later = %v, want %v", got, want)
	}
}
