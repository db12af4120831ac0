package connections

import (
	"context"
	"fmt"
	"strings"

	"github.com/plugboard/plugboard/internal/store"
)

// Usage is a record that uses a connection.
type Usage struct {
	Type string // "webhook" or "function"
	ID   string
	Name string
}

// Usages lists what uses a connection: the webhooks bound to it, then the
// functions whose script names its link name in invokeurl.
func (m *Manager) Usages(ctx context.Context, conn store.Connection) ([]Usage, error) {
	hooks, err := m.webhooksOf(ctx, conn)
	if err != nil {
		return nil, err
	}
	fns, err := m.functionsOf(ctx, conn)
	if err != nil {
		return nil, err
	}
	usages := make([]Usage, 0, len(hooks)+len(fns))
	for _, h := range hooks {
		usages = append(usages, Usage{Type: "webhook", ID: h.ID, Name: h.Name})
	}
	for _, fn := range fns {
		usages = append(usages, Usage{Type: "function", ID: fn.ID, Name: fn.Name})
	}
	return usages, nil
}

func (m *Manager) functionsOf(ctx context.Context, conn store.Connection) ([]store.Function, error) {
	fns, err := m.store.ListFunctions(ctx, conn.OrgID, store.ListFunctionsOptions{Connection: conn.LinkName})
	if err != nil {
		return nil, fmt.Errorf("listing functions that name connection %q: %w", conn.LinkName, err)
	}
	return fns, nil
}

// functionsClause returns "; function X uses it" for a refusal message, or
// "" when no function names the connection or they cannot be listed.
func (m *Manager) functionsClause(ctx context.Context, conn store.Connection) string {
	fns, err := m.functionsOf(ctx, conn)
	if err != nil || len(fns) == 0 {
		return ""
	}
	return "; " + plural(len(fns), "function ", "functions ") + quoteFunctionNames(fns) + plural(len(fns), " uses it", " use it")
}

func quoteFunctionNames(fns []store.Function) string {
	names := make([]string, len(fns))
	for i, fn := range fns {
		names[i] = fn.Name
	}
	return quoteList(names)
}

func functionRefs(fns []store.Function) []map[string]string {
	refs := make([]map[string]string, 0, len(fns))
	for _, fn := range fns {
		refs = append(refs, map[string]string{"id": fn.ID, "name": fn.Name})
	}
	return refs
}

func (m *Manager) webhooksOf(ctx context.Context, conn store.Connection) ([]store.Webhook, error) {
	hooks, err := m.store.ListWebhooks(ctx, conn.OrgID, store.ListWebhooksOptions{ConnectionID: conn.ID})
	if err != nil {
		return nil, fmt.Errorf("listing webhooks of connection %q: %w", conn.LinkName, err)
	}
	return hooks, nil
}

// webhooksClause returns "; webhooks X and Y use it" for a refusal message,
// or "" when no webhook uses the connection or they cannot be listed.
func (m *Manager) webhooksClause(ctx context.Context, conn store.Connection) string {
	hooks, err := m.webhooksOf(ctx, conn)
	if err != nil || len(hooks) == 0 {
		return ""
	}
	if len(hooks) == 1 {
		return "; webhook " + quoteNames(hooks) + " uses it"
	}
	return "; webhooks " + quoteNames(hooks) + " use it"
}

// maxNamedWebhooks bounds how many webhooks, or functions, a message names.
const maxNamedWebhooks = 10

func quoteNames(hooks []store.Webhook) string {
	names := make([]string, len(hooks))
	for i, h := range hooks {
		names[i] = h.Name
	}
	return quoteList(names)
}

// quoteList quotes the first maxNamedWebhooks names and counts the rest.
func quoteList(names []string) string {
	quoted := make([]string, 0, len(names))
	for i, name := range names {
		if i == maxNamedWebhooks {
			quoted = append(quoted, fmt.Sprintf("and %d more", len(names)-i))
			break
		}
		quoted = append(quoted, fmt.Sprintf("%q", name))
	}
	return strings.Join(quoted, ", ")
}

func webhookRefs(hooks []store.Webhook) []map[string]string {
	refs := make([]map[string]string, 0, len(hooks))
	for _, h := range hooks {
		refs = append(refs, map[string]string{"id": h.ID, "name": h.Name})
	}
	return refs
}

// plural returns one when n is 1 and many otherwise.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
