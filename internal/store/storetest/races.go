package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/plugboard/plugboard/internal/store"
)

// raceIterations is how often each delete races an insert of a reference.
const raceIterations = 40

// referenceRace is a delete of a parent record that races the insert of a
// record that refers to it.
type referenceRace struct {
	name string
	// setup creates the parent and returns the delete, the insert, and a
	// read of the reference that fails with ErrNotFound when it is missing.
	setup func(t *testing.T, s store.Store, org store.Org) (deleteParent, insertReference, readReference func() error)
}

// testDeleteRaces runs each delete concurrently with an insert of a
// reference to the record it deletes. Afterwards one of them must have
// failed: the delete with ErrInUse, leaving the reference stored, or the
// insert with ErrNotFound, storing nothing. Both succeeding leaves a
// reference to a missing record.
func testDeleteRaces(t *testing.T, s store.Store) {
	races := []referenceRace{
		{"application and connection", func(t *testing.T, s store.Store, org store.Org) (func() error, func() error, func() error) {
			user := createUser(t, s, org.ID, uniqueID("user"))
			app := createApplication(t, s, org.ID, "acme_devices", false)
			conn := newConnection(org.ID, uniqueID("crm"), "acme_devices", user.ID)
			conn.ApplicationID = app.ID
			return func() error { return s.DeleteApplication(t.Context(), org.ID, app.ID) },
				func() error { return s.CreateConnection(t.Context(), conn) },
				func() error { return checkConnectionApplication(t, s, org.ID, conn.LinkName, app.ID) }
		}},
		{"application and connection update", func(t *testing.T, s store.Store, org store.Org) (func() error, func() error, func() error) {
			user := createUser(t, s, org.ID, uniqueID("user"))
			app := createApplication(t, s, org.ID, "acme_devices", false)
			conn := createConnection(t, s, newConnection(org.ID, uniqueID("crm"), "acme_devices", user.ID))
			return func() error { return s.DeleteApplication(t.Context(), org.ID, app.ID) },
				func() error {
					_, err := s.UpdateConnection(t.Context(), org.ID, conn.LinkName, func(c *store.Connection, _ []store.Credential) error {
						c.ApplicationID = app.ID
						return nil
					})
					return err
				},
				func() error { return checkConnectionApplication(t, s, org.ID, conn.LinkName, app.ID) }
		}},
		{"custom service and connection", func(t *testing.T, s store.Store, org store.Org) (func() error, func() error, func() error) {
			user := createUser(t, s, org.ID, uniqueID("user"))
			svc := createService(t, s, org.ID, uniqueID("svc"), user.ID)
			// The connection has no application, because a locked
			// application would protect it even without the service check.
			conn := newConnection(org.ID, uniqueID("crm"), svc.Service.Key, user.ID)
			conn.RequireCustomService = true
			return func() error { return s.DeleteService(t.Context(), org.ID, svc.Service.Key) },
				func() error { return s.CreateConnection(t.Context(), conn) },
				func() error {
					_, err := s.GetConnection(t.Context(), org.ID, conn.LinkName)
					return err
				}
		}},
		{"custom service and application", func(t *testing.T, s store.Store, org store.Org) (func() error, func() error, func() error) {
			user := createUser(t, s, org.ID, uniqueID("user"))
			svc := createService(t, s, org.ID, uniqueID("svc"), user.ID)
			app := newApplication(org.ID, svc.Service.Key, false)
			app.RequireCustomService = true
			return func() error { return s.DeleteService(t.Context(), org.ID, svc.Service.Key) },
				func() error { return s.CreateApplication(t.Context(), app) },
				func() error {
					_, err := s.GetApplication(t.Context(), org.ID, app.ID)
					return err
				}
		}},
		{"connection and webhook", func(t *testing.T, s store.Store, org store.Org) (func() error, func() error, func() error) {
			user := createUser(t, s, org.ID, uniqueID("user"))
			conn := createConnection(t, s, newConnection(org.ID, uniqueID("crm"), "acme_devices", user.ID))
			hook := newWebhook(org.ID, user.ID)
			hook.ConnectionID = conn.ID
			return func() error { return s.DeleteConnection(t.Context(), org.ID, conn.LinkName) },
				func() error { return s.CreateWebhook(t.Context(), hook) },
				func() error { return checkWebhookConnection(t, s, org.ID, hook.ID, conn.ID) }
		}},
		{"connection and webhook update", func(t *testing.T, s store.Store, org store.Org) (func() error, func() error, func() error) {
			user := createUser(t, s, org.ID, uniqueID("user"))
			conn := createConnection(t, s, newConnection(org.ID, uniqueID("crm"), "acme_devices", user.ID))
			hook := createWebhook(t, s, newWebhook(org.ID, user.ID))
			return func() error { return s.DeleteConnection(t.Context(), org.ID, conn.LinkName) },
				func() error {
					_, err := s.UpdateWebhook(t.Context(), org.ID, hook.ID, func(w *store.Webhook) error {
						w.ConnectionID = conn.ID
						return nil
					})
					return err
				},
				func() error { return checkWebhookConnection(t, s, org.ID, hook.ID, conn.ID) }
		}},
		{"user and connection", func(t *testing.T, s store.Store, org store.Org) (func() error, func() error, func() error) {
			user := createUser(t, s, org.ID, uniqueID("user"))
			conn := newConnection(org.ID, uniqueID("crm"), "acme_devices", user.ID)
			return func() error { return s.DeleteUser(t.Context(), org.ID, user.ID) },
				func() error { return s.CreateConnection(t.Context(), conn) },
				func() error {
					_, err := s.GetConnection(t.Context(), org.ID, conn.LinkName)
					return err
				}
		}},
		{"user and webhook", func(t *testing.T, s store.Store, org store.Org) (func() error, func() error, func() error) {
			user := createUser(t, s, org.ID, uniqueID("user"))
			hook := newWebhook(org.ID, user.ID)
			return func() error { return s.DeleteUser(t.Context(), org.ID, user.ID) },
				func() error { return s.CreateWebhook(t.Context(), hook) },
				func() error {
					_, err := s.GetWebhook(t.Context(), org.ID, hook.ID)
					return err
				}
		}},
	}
	for _, race := range races {
		t.Run(race.name, func(t *testing.T) {
			org := createOrg(t, s)
			var inUse, notFound, both int
			for range raceIterations {
				deleteParent, insertReference, readReference := race.setup(t, s, org)
				var deleteErr, insertErr error
				var start, done sync.WaitGroup
				start.Add(1)
				done.Go(func() {
					start.Wait()
					deleteErr = deleteParent()
				})
				done.Go(func() {
					start.Wait()
					insertErr = insertReference()
				})
				start.Done()
				done.Wait()

				switch {
				case deleteErr == nil && insertErr == nil:
					both++
				case errors.Is(deleteErr, store.ErrInUse) && insertErr == nil:
					inUse++
					if err := readReference(); err != nil {
						t.Errorf("reading the reference after the rejected delete: %v", err)
					}
				case deleteErr == nil && errors.Is(insertErr, store.ErrNotFound):
					notFound++
					if err := readReference(); !errors.Is(err, store.ErrNotFound) {
						t.Errorf("reading the reference after the failed insert: error = %v, want ErrNotFound", err)
					}
				default:
					t.Errorf("delete error = %v, insert error = %v, want one of them ErrInUse or ErrNotFound", deleteErr, insertErr)
				}
			}
			t.Logf("%d iterations: delete in use %d, insert not found %d, both succeeded %d",
				raceIterations, inUse, notFound, both)
			if both > 0 {
				t.Errorf("delete and insert both succeeded in %d of %d iterations, leaving a reference to a deleted record",
					both, raceIterations)
			}
		})
	}
}

// checkConnectionApplication returns an error wrapping ErrNotFound unless the
// connection exists and uses the application.
func checkConnectionApplication(t *testing.T, s store.Store, orgID, linkName, applicationID string) error {
	conn, err := s.GetConnection(t.Context(), orgID, linkName)
	if err != nil {
		return err
	}
	if conn.ApplicationID != applicationID {
		return fmt.Errorf("connection %q uses application %q, not %q: %w", linkName, conn.ApplicationID, applicationID, store.ErrNotFound)
	}
	return nil
}

// checkWebhookConnection returns an error wrapping ErrNotFound unless the
// webhook exists and is bound to the connection.
func checkWebhookConnection(t *testing.T, s store.Store, orgID, hookID, connectionID string) error {
	hook, err := s.GetWebhook(t.Context(), orgID, hookID)
	if err != nil {
		return err
	}
	if hook.ConnectionID != connectionID {
		return fmt.Errorf("webhook %q is bound to %q, not %q: %w", hookID, hook.ConnectionID, connectionID, store.ErrNotFound)
	}
	return nil
}

// checkTakenOnce races concurrent calls of a take, such as TakeOAuthState,
// that must return a record at most once. newTake stores a record and
// returns the take of it. Of each round's calls exactly one must succeed
// and the others fail with ErrNotFound. A take that reads and deletes in
// separate steps passes a single round most of the time, because the first
// caller usually finishes before the others read, so there are 20 rounds.
func checkTakenOnce(t *testing.T, method string, newTake func() func() error) {
	t.Helper()
	const rounds, workers = 20, 10
	for round := range rounds {
		take := newTake()
		start := make(chan struct{})
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				<-start
				errs[i] = take()
			})
		}
		close(start)
		wg.Wait()

		successes := 0
		for i, err := range errs {
			switch {
			case err == nil:
				successes++
			case !errors.Is(err, store.ErrNotFound):
				t.Errorf("round %d: %s() in worker %d error = %v, want nil or ErrNotFound", round, method, i, err)
			}
		}
		if successes != 1 {
			t.Errorf("round %d: %d of %d concurrent %s calls succeeded, want 1", round, successes, workers, method)
		}
	}
}
