package storetest

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

func newAuditEntry(orgID string, d time.Duration) store.AuditEntry {
	return store.AuditEntry{
		OrgID:        orgID,
		ID:           store.NewSortableID(at(d)),
		At:           at(d),
		ActorID:      "user-1",
		ActorName:    "alice",
		Action:       "connection.created",
		ConnectionID: "conn-1",
		LinkName:     "crm",
		TargetType:   "webhook",
		TargetID:     "hook-1",
		Detail:       map[string]any{"scopes": []any{"devices.read"}, "attempt": 2.0, "shared": false},
		RemoteAddr:   "192.0.2.10",
	}
}

func appendAudit(t *testing.T, s store.Store, entries ...store.AuditEntry) {
	t.Helper()
	for _, e := range entries {
		if err := s.AppendAudit(t.Context(), e); err != nil {
			t.Fatalf("AppendAudit(%q) error = %v", e.Action, err)
		}
	}
}

// canonAuditEntry treats nil and empty details as equal.
func canonAuditEntry(e store.AuditEntry) store.AuditEntry {
	if len(e.Detail) == 0 {
		e.Detail = nil
	}
	return e
}

func wantAuditEntry(e store.AuditEntry) store.AuditEntry {
	e = canonAuditEntry(e)
	e.At = inUTC(e.At)
	return e
}

func auditIDs(entries []store.AuditEntry) []string {
	ids := []string{}
	for _, e := range entries {
		ids = append(ids, e.ID)
	}
	return ids
}

func listAudit(t *testing.T, s store.Store, orgID string, opts store.ListAuditOptions) []store.AuditEntry {
	t.Helper()
	entries, err := s.ListAudit(t.Context(), orgID, opts)
	if err != nil {
		t.Fatalf("ListAudit(%+v) error = %v", opts, err)
	}
	return entries
}

func testAudit(t *testing.T, s store.Store) {
	t.Run("append and list", func(t *testing.T) {
		org := createOrg(t, s)
		entry := newAuditEntry(org.ID, 0)
		bare := store.AuditEntry{OrgID: org.ID, ID: store.NewSortableID(at(time.Second)), At: at(time.Second), Action: "plugboard.started"}
		appendAudit(t, s, entry, bare)

		entries := listAudit(t, s, org.ID, store.ListAuditOptions{})
		if len(entries) != 2 {
			t.Fatalf("ListAudit() = %q, want %q", auditIDs(entries), []string{bare.ID, entry.ID})
		}
		checkEqual(t, "newest entry", canonAuditEntry(entries[0]), wantAuditEntry(bare))
		checkEqual(t, "oldest entry", canonAuditEntry(entries[1]), wantAuditEntry(entry))
	})

	t.Run("id conflict", func(t *testing.T) {
		org := createOrg(t, s)
		entry := newAuditEntry(org.ID, 0)
		appendAudit(t, s, entry)

		dup := newAuditEntry(org.ID, time.Second)
		dup.ID = entry.ID
		if err := s.AppendAudit(t.Context(), dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("AppendAudit(taken ID) error = %v, want ErrConflict", err)
		}
	})

	t.Run("batch is atomic", func(t *testing.T) {
		org := createOrg(t, s)
		first, second := newAuditEntry(org.ID, 0), newAuditEntry(org.ID, time.Second)
		if err := s.AppendAudit(t.Context(), first, second); err != nil {
			t.Fatalf("AppendAudit(two entries) error = %v", err)
		}
		third := newAuditEntry(org.ID, 2*time.Second)
		dup := newAuditEntry(org.ID, 3*time.Second)
		dup.ID = first.ID
		if err := s.AppendAudit(t.Context(), third, dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("AppendAudit(batch with a taken ID) error = %v, want ErrConflict", err)
		}
		entries := listAudit(t, s, org.ID, store.ListAuditOptions{})
		checkEqual(t, "stored IDs", auditIDs(entries), []string{second.ID, first.ID})
	})

	t.Run("newest first with cursor", func(t *testing.T) {
		org := createOrg(t, s)
		var newestFirst []store.AuditEntry
		for i := range 7 {
			newestFirst = append([]store.AuditEntry{newAuditEntry(org.ID, time.Duration(i)*time.Millisecond)}, newestFirst...)
		}
		shuffled := append([]store.AuditEntry(nil), newestFirst...)
		rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		appendAudit(t, s, shuffled...)

		checkEqual(t, "every entry", auditIDs(listAudit(t, s, org.ID, store.ListAuditOptions{})), auditIDs(newestFirst))
		pages := [][]store.AuditEntry{newestFirst[0:3], newestFirst[3:6], newestFirst[6:7], nil}
		before := ""
		for _, want := range pages {
			page := listAudit(t, s, org.ID, store.ListAuditOptions{Before: before, Limit: 3})
			checkEqual(t, "page of entry IDs", auditIDs(page), auditIDs(want))
			if len(page) > 0 {
				before = page[len(page)-1].ID
			}
		}
	})

	t.Run("filters", func(t *testing.T) {
		org := createOrg(t, s)
		entry := func(d time.Duration, actorID, linkName string) store.AuditEntry {
			e := newAuditEntry(org.ID, d)
			e.ActorID = actorID
			e.LinkName = linkName
			return e
		}
		aliceCRM := entry(1, "alice", "crm")
		bobCRM := entry(2, "bob", "crm")
		aliceDesk := entry(3, "alice", "desk")
		system := entry(4, "", "")
		aliceCRMLater := entry(5, "alice", "crm")
		appendAudit(t, s, aliceCRM, bobCRM, aliceDesk, system, aliceCRMLater)

		tests := []struct {
			name string
			opts store.ListAuditOptions
			want []store.AuditEntry
		}{
			{"by link name", store.ListAuditOptions{LinkName: "crm"}, []store.AuditEntry{aliceCRMLater, bobCRM, aliceCRM}},
			{"by actor", store.ListAuditOptions{ActorID: "alice"}, []store.AuditEntry{aliceCRMLater, aliceDesk, aliceCRM}},
			{"by actor and link name", store.ListAuditOptions{ActorID: "alice", LinkName: "crm"}, []store.AuditEntry{aliceCRMLater, aliceCRM}},
			{"by link name before", store.ListAuditOptions{LinkName: "crm", Before: bobCRM.ID}, []store.AuditEntry{aliceCRM}},
			{"by actor with limit", store.ListAuditOptions{ActorID: "alice", Limit: 2}, []store.AuditEntry{aliceCRMLater, aliceDesk}},
			{"by unknown link name", store.ListAuditOptions{LinkName: "nothing"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				checkEqual(t, "entry IDs", auditIDs(listAudit(t, s, org.ID, tt.opts)), auditIDs(tt.want))
			})
		}
	})

	t.Run("other org", func(t *testing.T) {
		org := createOrg(t, s)
		entry := newAuditEntry(org.ID, 0)
		appendAudit(t, s, entry)
		other := createOrg(t, s)

		for _, opts := range []store.ListAuditOptions{{}, {LinkName: entry.LinkName}, {ActorID: entry.ActorID}} {
			if entries := listAudit(t, s, other.ID, opts); len(entries) != 0 {
				t.Errorf("ListAudit(other org, %+v) = %q, want none", opts, auditIDs(entries))
			}
		}
	})
}
