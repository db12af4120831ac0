package connections

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/samplecode"
	"github.com/plugboard/plugboard/internal/store"
)

// SampleCall returns what the sample code of a connection needs: the URL
// of a GET request to the service's sample_path, or its API base URL when
// it has none, resolved as the proxy resolves it. Every member may read it,
// viewers included, because it contains no secret.
//
// Some services take their API host from a provider extra of the
// credential, such as Zoho's api_domain. For them the host comes from the
// credential that the actor's calls would use: the actor's own on a shared
// connection, else the owner's. Without one, the owner's credential
// decides, and without that, the service's URL template for the region.
func (m *Manager) SampleCall(ctx context.Context, actor Actor, link string) (samplecode.Connection, error) {
	conn, err := m.Connection(ctx, actor.OrgID, link)
	if err != nil {
		return samplecode.Connection{}, err
	}
	svc, err := m.connectionService(ctx, conn)
	if err != nil {
		return samplecode.Connection{}, err
	}
	base, err := url.Parse(svc.APIBaseURL)
	if err != nil {
		return samplecode.Connection{}, fmt.Errorf("parsing api_base_url of service %q: %w", svc.Key, err)
	}
	if svc.APIBaseURLExtra != "" {
		cred, err := m.sampleCredential(ctx, conn, actor)
		if err != nil {
			return samplecode.Connection{}, err
		}
		if extraBase, ok := extraBaseURL(svc, cred); ok {
			base = withHostOf(base, extraBase)
		}
	}

	path, query, _ := strings.Cut(svc.SamplePath, "?")
	target := *base
	if path != "" {
		// Validate rejects a sample_path with an invalid escape.
		unescaped, err := url.PathUnescape(path)
		if err != nil {
			return samplecode.Connection{}, fmt.Errorf("unescaping sample_path of service %q: %w", svc.Key, err)
		}
		target.Path = strings.TrimSuffix(base.Path, "/") + unescaped
		target.RawPath = strings.TrimSuffix(base.EscapedPath(), "/") + path
	}
	target.RawQuery = query
	return samplecode.Connection{
		LinkName:    conn.LinkName,
		Name:        conn.Name,
		ServiceName: svc.Name,
		URL:         target.String(),
		Path:        svc.SamplePath,
		PublicURL:   m.publicURL,
	}, nil
}

// sampleCredential returns the credential whose provider extras decide the
// API host of the sample code, or a zero Credential when there is none.
// Only its extras are read, so no role check applies.
func (m *Manager) sampleCredential(ctx context.Context, conn store.Connection, actor Actor) (store.Credential, error) {
	users := []string{conn.OwnerID}
	if conn.UseLoginUserCredentials && actor.UserID != conn.OwnerID {
		users = []string{actor.UserID, conn.OwnerID}
	}
	for _, userID := range users {
		cred, err := m.store.GetCredential(ctx, conn.OrgID, conn.ID, userID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return store.Credential{}, fmt.Errorf("reading credential: %w", err)
		}
		if cred.Status != store.StatusNotConnected {
			return cred, nil
		}
	}
	return store.Credential{}, nil
}
