// Package webhooks keeps an org's webhooks, stores the events that trigger
// them and delivers each event to each subscribed webhook.
//
// A webhook is an outbound HTTP request template. Its URL, header values
// and body are Go text/template sources rendered over the event
//
//	{"id": "<event ID>", "type": "device.alarm", "created_at": "<RFC 3339>", "data": {...}}
//
// so {{.data.device}} is a field of the event's data, and the function json
// writes any value as JSON. A key missing from the data fails the delivery,
// naming the key; {{with index .data "key"}}{{.}}{{end}} writes an optional
// one or nothing. An empty body
// template sends the event itself as JSON on POST, PUT and PATCH. A body that
// is valid JSON gets "Content-Type: application/json" unless the webhook's
// headers set a content type.
//
// A webhook bound to a connection sends its request through egress with that
// connection's credential, as the member who created the webhook, so a
// shared connection uses the creator's own credential. Its URL may be a path
// under the service's API base URL.
//
// An unbound webhook sends to its own URL without a credential, over https
// or to a loopback host. It signs every request as the Standard Webhooks
// specification describes (https://www.standardwebhooks.com). The header
// webhook-id is the delivery ID, the same on every retry, and
// webhook-timestamp is the time in Unix seconds. The header
// webhook-signature is "v1," and the base64 HMAC-SHA256 of
// "id.timestamp.body" under the secret's bytes.
//
// Deliveries are a durable outbox in the database rather than a job queue
// library such as River. That keeps one schema and one storage interface for
// SQLite and PostgreSQL, tested by the same conformance suite, with no second
// migration system. Publishing an event writes it and one pending delivery
// per subscribed webhook in one transaction. A [Worker] claims due
// deliveries under a lease, so several instances share the work and a
// delivery whose worker died is sent again once its lease lapses. A delivery
// may therefore reach a receiver more than once; receivers deduplicate by
// webhook-id. Failures with a network error, 429 or a 5xx status are retried
// with exponential backoff and full jitter, honoring Retry-After on 429 and
// 503. A 2xx status succeeds, and any other status fails the delivery at
// once.
package webhooks
