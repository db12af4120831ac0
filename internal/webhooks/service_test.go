package webhooks_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhooks"
)

func TestCreateAppliesDefaults(t *testing.T) {
	f := newFixture(t)

	hook, secret := f.createWebhook(t, unboundInput("https://desk.example/hooks"))

	if hook.Method != http.MethodPost || !hook.Enabled || hook.MaxAttempts != webhooks.DefaultMaxAttempts {
		t.Errorf("method %s, enabled %t, max attempts %d; want POST, true, %d",
			hook.Method, hook.Enabled, hook.MaxAttempts, webhooks.DefaultMaxAttempts)
	}
	if hook.CreatedBy != f.developer.UserID || hook.CreatedByName != "dev" {
		t.Errorf("created by %s (%s), want %s (dev)", hook.CreatedBy, hook.CreatedByName, f.developer.UserID)
	}
	if hook.Connection != "" || hook.ConnectionID != "" {
		t.Errorf("connection = %q, want none", hook.Connection)
	}
	if !strings.HasPrefix(secret.Reveal(), "whsec_") || !hook.HasSecret() {
		t.Errorf("secret %q, has secret %t; want a whsec_ secret", secret.Reveal(), hook.HasSecret())
	}
	if !slices.Equal(f.recorder.actions(), []string{"webhook.created"}) {
		t.Errorf("audit actions = %v, want [webhook.created]", f.recorder.actions())
	}
}

func TestSecretIsSealedToItsRow(t *testing.T) {
	f := newFixture(t)
	hook, secret := f.createWebhook(t, unboundInput("https://desk.example/hooks"))

	stored, err := f.store.GetWebhook(f.ctx, testOrgID, hook.ID)
	if err != nil {
		t.Fatalf("reading webhook: %v", err)
	}
	plain, err := f.keyring.Open(stored.SecretSealed, secrets.AD{OrgID: testOrgID, Table: "webhooks", Column: "secret", RowID: hook.ID})
	if err != nil {
		t.Fatalf("opening secret: %v", err)
	}
	_, err = f.keyring.Open(stored.SecretSealed, secrets.AD{OrgID: testOrgID, Table: "webhooks", Column: "secret", RowID: "other"})

	if string(plain) != secret.Reveal() {
		t.Error("sealed secret differs from the one returned at creation")
	}
	if err == nil {
		t.Error("secret opened with another row's associated data")
	}
	if strings.Contains(stored.SecretSealed, strings.TrimPrefix(secret.Reveal(), "whsec_")) {
		t.Error("stored secret contains the plaintext")
	}
}

func TestCreateValidation(t *testing.T) {
	valid := func() webhooks.Input { return unboundInput("https://desk.example/hooks") }
	tests := []struct {
		name      string
		change    func(*webhooks.Input)
		status    int
		code      string
		field     string
		detailHas string
	}{
		{name: "missing name", change: func(in *webhooks.Input) { in.Name = nil }, field: "name"},
		{name: "blank name", change: func(in *webhooks.Input) { in.Name = ptr("  ") }, field: "name"},
		{name: "missing url", change: func(in *webhooks.Input) { in.URL = nil }, field: "url"},
		{name: "missing events", change: func(in *webhooks.Input) { in.Events = nil }, field: "events"},
		{name: "empty events", change: func(in *webhooks.Input) { in.Events = &[]string{} }, field: "events"},
		{
			name: "invalid event type", change: func(in *webhooks.Input) { in.Events = &[]string{"Device Alarm"} },
			field: "events", detailHas: `"Device Alarm"`,
		},
		{name: "unsupported method", change: func(in *webhooks.Input) { in.Method = ptr("TRACE") }, field: "method"},
		{name: "zero attempts", change: func(in *webhooks.Input) { in.MaxAttempts = ptr(0) }, field: "max_attempts"},
		{name: "too many attempts", change: func(in *webhooks.Input) { in.MaxAttempts = ptr(21) }, field: "max_attempts"},
		{
			name: "body template", change: func(in *webhooks.Input) { in.Body = ptr(`{"a": "{{.data.device"}`) },
			field: "body", detailHas: "body is not a valid template: template: body:1: ",
		},
		{
			name: "url template", change: func(in *webhooks.Input) { in.URL = ptr("https://desk.example/{{end}}") },
			field: "url", detailHas: "url is not a valid template: template: url:1: unexpected {{end}}",
		},
		{
			name: "header template", change: func(in *webhooks.Input) { in.Headers = &map[string]string{"X-Device": "{{.data.device"} },
			field: "headers.X-Device", detailHas: "headers.X-Device is not a valid template",
		},
		{
			name: "authorization header", change: func(in *webhooks.Input) { in.Headers = &map[string]string{"Authorization": "Bearer x"} },
			field: "headers",
		},
		{name: "path without connection", change: func(in *webhooks.Input) { in.URL = ptr("/hooks") }, field: "url"},
		{
			name: "http to another host", change: func(in *webhooks.Input) { in.URL = ptr("http://desk.example/hooks") },
			field: "url", detailHas: "use https",
		},
		{
			name: "unknown connection", change: func(in *webhooks.Input) { in.Connection = ptr("nothing") },
			status: http.StatusNotFound, code: "connection_not_found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			in := valid()
			tt.change(&in)
			status, code := tt.status, tt.code
			if code == "" {
				status, code = http.StatusUnprocessableEntity, "invalid_webhook"
			}

			_, _, err := f.service.Create(f.ctx, f.developer, in)

			p := wantProblem(t, err, status, code)
			if tt.field != "" && p.Extra["field"] != tt.field {
				t.Errorf("field = %v, want %s (detail %q)", p.Extra["field"], tt.field, p.Detail)
			}
			if !strings.Contains(p.Detail, tt.detailHas) {
				t.Errorf("detail %q does not contain %q", p.Detail, tt.detailHas)
			}
		})
	}
}

func TestCreateBoundChecksHost(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	conn := connectedService(t, f, rc, "")
	tests := []struct {
		name    string
		url     string
		wantErr bool
	}{
		{"path", "/devices", false},
		{"api host", rc.server.URL + "/api/devices", false},
		{"template host", "https://{{.data.host}}/devices", false},
		{"other host", "https://desk.example/devices", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := webhooks.Input{Name: ptr("Ticket"), URL: &tt.url, Connection: &conn.LinkName, Events: &[]string{"device.alarm"}}

			hook, _, err := f.service.Create(f.ctx, f.developer, in)

			if tt.wantErr {
				p := wantProblem(t, err, http.StatusUnprocessableEntity, "invalid_webhook")
				if !strings.Contains(p.Detail, "desk.example:443") {
					t.Errorf("detail %q does not name the host", p.Detail)
				}
				return
			}
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if hook.Connection != conn.LinkName {
				t.Errorf("connection = %q, want %q", hook.Connection, conn.LinkName)
			}
		})
	}
}

func TestViewerCannotChangeWebhooks(t *testing.T) {
	f := newFixture(t)
	hook, _ := f.createWebhook(t, unboundInput("https://desk.example/hooks"))
	d := f.publish(t, hook.ID, "device.alarm", nil)
	tests := []struct {
		name string
		call func() error
	}{
		{"create", func() error {
			_, _, err := f.service.Create(f.ctx, f.viewer, unboundInput("https://desk.example/hooks"))
			return err
		}},
		{"update", func() error {
			_, _, err := f.service.Update(f.ctx, f.viewer, hook.ID, webhooks.Input{Name: ptr("Renamed")})
			return err
		}},
		{"delete", func() error { return f.service.Delete(f.ctx, f.viewer, hook.ID) }},
		{"rotate secret", func() error {
			_, _, err := f.service.RotateSecret(f.ctx, f.viewer, hook.ID)
			return err
		}},
		{"test", func() error {
			_, err := f.service.Test(f.ctx, f.viewer, hook.ID)
			return err
		}},
		{"redeliver", func() error {
			_, err := f.service.Redeliver(f.ctx, f.viewer, d.ID)
			return err
		}},
		{"post event", func() error {
			_, _, err := f.service.PostEvent(f.ctx, f.viewer, "device.alarm", nil)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, tt.call(), http.StatusForbidden, "forbidden")
		})
	}

	got, err := f.service.Get(f.ctx, f.viewer, hook.ID)
	if err != nil || got.ID != hook.ID {
		t.Errorf("viewer Get = %v, %v; want the webhook", got.ID, err)
	}
	list, err := f.service.List(f.ctx, f.viewer)
	if err != nil || len(list) != 1 {
		t.Errorf("viewer List = %d webhooks, %v; want 1", len(list), err)
	}
}

func TestOnlyCreatorOrAdminChangesWebhook(t *testing.T) {
	f := newFixture(t)
	other := f.createUser(t, "u-dev2", "dev2", store.RoleDeveloper)
	hook, _ := f.createWebhook(t, unboundInput("https://desk.example/hooks"))

	_, _, err := f.service.Update(f.ctx, other, hook.ID, webhooks.Input{Name: ptr("Taken over")})
	wantProblem(t, err, http.StatusForbidden, "forbidden")
	wantProblem(t, f.service.Delete(f.ctx, other, hook.ID), http.StatusForbidden, "forbidden")

	updated, _, err := f.service.Update(f.ctx, f.admin, hook.ID, webhooks.Input{Name: ptr("Renamed by admin")})
	if err != nil {
		t.Fatalf("admin Update: %v", err)
	}
	if updated.Name != "Renamed by admin" || updated.CreatedBy != f.developer.UserID {
		t.Errorf("updated = %q by %s, want the new name and the original creator", updated.Name, updated.CreatedBy)
	}
}

func TestUpdateKeepsUnsetFields(t *testing.T) {
	f := newFixture(t)
	in := unboundInput("https://desk.example/hooks")
	in.Headers = &map[string]string{"x-device": "{{.data.device}}"}
	in.Body = ptr("{{.data.device}}")
	hook, _ := f.createWebhook(t, in)

	updated, secret, err := f.service.Update(f.ctx, f.developer, hook.ID, webhooks.Input{
		Events: &[]string{"device.alarm", "device.cleared", "device.alarm"}, MaxAttempts: ptr(3),
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}

	if secret != "" {
		t.Error("Update returned a secret for a webhook that already has one")
	}
	if !slices.Equal(updated.Events, []string{"device.alarm", "device.cleared"}) || updated.MaxAttempts != 3 {
		t.Errorf("events %v, max attempts %d; want [device.alarm device.cleared], 3", updated.Events, updated.MaxAttempts)
	}
	if updated.Name != "Alarm hook" || updated.Body != "{{.data.device}}" || updated.Headers["X-Device"] != "{{.data.device}}" {
		t.Errorf("update changed unset fields: name %q, body %q, headers %v", updated.Name, updated.Body, updated.Headers)
	}
	if updated.SecretSealed != hook.SecretSealed {
		t.Error("update changed the signing secret")
	}
}

func TestBindingChangesSecret(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	conn := connectedService(t, f, rc, "")
	hook, _ := f.createWebhook(t, unboundInput(rc.server.URL+"/api/hooks"))

	bound, secret, err := f.service.Update(f.ctx, f.developer, hook.ID, webhooks.Input{Connection: &conn.LinkName})
	if err != nil {
		t.Fatalf("binding: %v", err)
	}
	if bound.HasSecret() || secret != "" || bound.Connection != conn.LinkName {
		t.Errorf("bound webhook: has secret %t, connection %q; want no secret and %q", bound.HasSecret(), bound.Connection, conn.LinkName)
	}

	unbound, secret, err := f.service.Update(f.ctx, f.developer, hook.ID, webhooks.Input{Connection: ptr("")})
	if err != nil {
		t.Fatalf("unbinding: %v", err)
	}
	if !unbound.HasSecret() || !strings.HasPrefix(secret.Reveal(), "whsec_") || unbound.Connection != "" {
		t.Errorf("unbound webhook: has secret %t, secret %q, connection %q; want a new secret and no connection",
			unbound.HasSecret(), secret.Reveal(), unbound.Connection)
	}
}

func TestUnbindingPathURLFails(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	conn := connectedService(t, f, rc, "")
	hook, _ := f.createWebhook(t, webhooks.Input{
		Name: ptr("Ticket"), URL: ptr("/devices"), Connection: &conn.LinkName, Events: &[]string{"device.alarm"},
	})

	_, _, err := f.service.Update(f.ctx, f.developer, hook.ID, webhooks.Input{Connection: ptr("")})

	p := wantProblem(t, err, http.StatusUnprocessableEntity, "invalid_webhook")
	if p.Extra["field"] != "url" {
		t.Errorf("field = %v, want url", p.Extra["field"])
	}
}

func TestRotateSecret(t *testing.T) {
	f := newFixture(t)
	hook, first := f.createWebhook(t, unboundInput("https://desk.example/hooks"))

	rotated, second, err := f.service.RotateSecret(f.ctx, f.developer, hook.ID)
	if err != nil {
		t.Fatalf("RotateSecret: %v", err)
	}

	if second == first || !strings.HasPrefix(second.Reveal(), "whsec_") {
		t.Errorf("rotated secret %q, want a new whsec_ secret", second.Reveal())
	}
	plain, err := f.keyring.Open(rotated.SecretSealed, secrets.AD{OrgID: testOrgID, Table: "webhooks", Column: "secret", RowID: hook.ID})
	if err != nil || string(plain) != second.Reveal() {
		t.Errorf("stored secret does not open to the rotated one (%v)", err)
	}
}

func TestRotateSecretOfBoundWebhook(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	conn := connectedService(t, f, rc, "")
	hook, _ := f.createWebhook(t, webhooks.Input{
		Name: ptr("Ticket"), URL: ptr("/devices"), Connection: &conn.LinkName, Events: &[]string{"device.alarm"},
	})

	_, _, err := f.service.RotateSecret(f.ctx, f.developer, hook.ID)

	wantProblem(t, err, http.StatusConflict, "webhook_bound")
}

func TestDeleteWebhook(t *testing.T) {
	f := newFixture(t)
	hook, _ := f.createWebhook(t, unboundInput("https://desk.example/hooks"))
	d := f.publish(t, hook.ID, "device.alarm", nil)

	if err := f.service.Delete(f.ctx, f.developer, hook.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}

	_, err := f.service.Get(f.ctx, f.developer, hook.ID)
	wantProblem(t, err, http.StatusNotFound, "webhook_not_found")
	if _, err := f.store.GetDelivery(f.ctx, testOrgID, d.ID); err == nil {
		t.Error("delivery of the deleted webhook still exists")
	}
	wantProblem(t, f.service.Delete(f.ctx, f.developer, hook.ID), http.StatusNotFound, "webhook_not_found")
}

func TestListWebhooksByName(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	conn := connectedService(t, f, rc, "")
	for _, name := range []string{"Zeta", "Alpha"} {
		in := unboundInput("https://desk.example/hooks")
		in.Name = &name
		f.createWebhook(t, in)
	}
	f.createWebhook(t, webhooks.Input{Name: ptr("Mid"), URL: ptr("/x"), Connection: &conn.LinkName, Events: &[]string{"a.b"}})

	list, err := f.service.List(f.ctx, f.developer)
	if err != nil {
		t.Fatalf("List: %v", err)
	}

	var names, links []string
	for _, h := range list {
		names = append(names, h.Name)
		links = append(links, h.Connection)
	}
	if !slices.Equal(names, []string{"Alpha", "Mid", "Zeta"}) {
		t.Errorf("names = %v, want [Alpha Mid Zeta]", names)
	}
	if !slices.Equal(links, []string{"", conn.LinkName, ""}) {
		t.Errorf("connections = %q, want only Mid bound to %s", links, conn.LinkName)
	}
}

func TestPostEventCreatesDeliveries(t *testing.T) {
	f := newFixture(t)
	subscribed, _ := f.createWebhook(t, unboundInput("https://desk.example/a"))
	disabled := unboundInput("https://desk.example/b")
	disabled.Enabled = ptr(false)
	f.createWebhook(t, disabled)
	other := unboundInput("https://desk.example/c")
	other.Events = &[]string{"device.cleared"}
	f.createWebhook(t, other)

	event, n, err := f.service.PostEvent(f.ctx, f.developer, "device.alarm", map[string]any{"device": "pump-7"})
	if err != nil {
		t.Fatalf("PostEvent: %v", err)
	}

	if n != 1 {
		t.Errorf("deliveries = %d, want 1", n)
	}
	stored, err := f.store.GetEvent(f.ctx, testOrgID, event.ID)
	if err != nil {
		t.Fatalf("reading event: %v", err)
	}
	if stored.Source != webhooks.SourceAPI || stored.CreatedBy != f.developer.UserID || stored.Data["device"] != "pump-7" {
		t.Errorf("event = source %q by %q with %v, want api by %s with device pump-7", stored.Source, stored.CreatedBy,
			stored.Data, f.developer.UserID)
	}
	list := f.deliveries(t, subscribed.ID)
	if len(list) != 1 || list[0].EventID != event.ID || list[0].Status != store.DeliveryPending {
		t.Errorf("deliveries of the subscribed webhook = %+v, want one pending for the event", list)
	}
}

func TestPostEventRejectsType(t *testing.T) {
	tests := []struct {
		eventType string
		detailHas string
	}{
		{"connection.connected", "reserved"},
		{"webhook.test", "reserved"},
		{"alarm", "not valid"},
		{"Device.Alarm", "not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.eventType, func(t *testing.T) {
			f := newFixture(t)

			_, _, err := f.service.PostEvent(f.ctx, f.developer, tt.eventType, nil)

			p := wantProblem(t, err, http.StatusUnprocessableEntity, "invalid_event")
			if !strings.Contains(p.Detail, tt.detailHas) {
				t.Errorf("detail %q does not contain %q", p.Detail, tt.detailHas)
			}
		})
	}
}

func TestPublisherRaisesConnectionEvents(t *testing.T) {
	f := newFixture(t)
	in := unboundInput("https://desk.example/hooks")
	in.Events = &[]string{connections.EventConnected}
	hook, _ := f.createWebhook(t, in)
	var publisher connections.EventPublisher = f.service.Publisher()

	err := publisher.Publish(f.ctx, testOrgID, f.developer.UserID, connections.EventConnected, map[string]any{"connection": "desk"})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}

	list := f.deliveries(t, hook.ID)
	if len(list) != 1 {
		t.Fatalf("deliveries = %d, want 1", len(list))
	}
	event, err := f.store.GetEvent(f.ctx, testOrgID, list[0].EventID)
	if err != nil {
		t.Fatalf("reading event: %v", err)
	}
	if event.Source != webhooks.SourcePlugboard || event.Type != connections.EventConnected {
		t.Errorf("event = %s from %s, want %s from plugboard", event.Type, event.Source, connections.EventConnected)
	}
}

func TestDeliveriesNewestFirst(t *testing.T) {
	f := newFixture(t)
	hook, _ := f.createWebhook(t, unboundInput("https://desk.example/hooks"))
	var ids []string
	for range 3 {
		ids = append(ids, f.publish(t, hook.ID, "device.alarm", nil).ID)
		f.clock.Advance(1)
	}

	page, err := f.service.Deliveries(f.ctx, f.developer, hook.ID, "", 2)
	if err != nil {
		t.Fatalf("Deliveries: %v", err)
	}
	rest, err := f.service.Deliveries(f.ctx, f.developer, hook.ID, page[len(page)-1].ID, 2)
	if err != nil {
		t.Fatalf("Deliveries after %s: %v", page[len(page)-1].ID, err)
	}

	var got []string
	for _, d := range append(page, rest...) {
		got = append(got, d.ID)
		if d.EventType != "device.alarm" {
			t.Errorf("delivery %s has event type %q, want device.alarm", d.ID, d.EventType)
		}
	}
	if want := []string{ids[2], ids[1], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("deliveries = %v, want %v", got, want)
	}
}

func TestDeliveryOfOtherWebhookNotFound(t *testing.T) {
	f := newFixture(t)
	first, _ := f.createWebhook(t, unboundInput("https://desk.example/a"))
	other := unboundInput("https://desk.example/b")
	other.Events = &[]string{"device.cleared"}
	second, _ := f.createWebhook(t, other)
	d := f.publish(t, first.ID, "device.alarm", nil)

	_, err := f.service.Delivery(f.ctx, f.developer, second.ID, d.ID)

	wantProblem(t, err, http.StatusNotFound, "delivery_not_found")
}

func TestViewerSeesNoResponseBody(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	rc.statuses(http.StatusOK)
	hook, _ := f.createWebhook(t, unboundInput(rc.server.URL))
	d := f.publish(t, hook.ID, "device.alarm", nil)
	run(t, f.worker())
	f.waitForStatus(t, d.ID, store.DeliverySucceeded, 1)

	asViewer, err := f.service.Delivery(f.ctx, f.viewer, hook.ID, d.ID)
	if err != nil {
		t.Fatalf("Delivery as viewer: %v", err)
	}
	asDeveloper, err := f.service.Delivery(f.ctx, f.developer, hook.ID, d.ID)
	if err != nil {
		t.Fatalf("Delivery as developer: %v", err)
	}

	if asViewer.LastResponse != "" {
		t.Errorf("viewer sees response %q, want none", asViewer.LastResponse)
	}
	if asDeveloper.LastResponse != "OK" {
		t.Errorf("developer sees response %q, want OK", asDeveloper.LastResponse)
	}
}

func TestRedeliverOfDisabledWebhook(t *testing.T) {
	f := newFixture(t)
	hook, _ := f.createWebhook(t, unboundInput("https://desk.example/hooks"))
	d := f.publish(t, hook.ID, "device.alarm", nil)
	if _, _, err := f.service.Update(f.ctx, f.developer, hook.ID, webhooks.Input{Enabled: ptr(false)}); err != nil {
		t.Fatalf("disabling webhook: %v", err)
	}

	_, err := f.service.Redeliver(f.ctx, f.developer, d.ID)

	wantProblem(t, err, http.StatusConflict, "webhook_disabled")
}
