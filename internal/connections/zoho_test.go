package connections_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/secrets"
)

// standInTLS returns a certificate authority pool and a server certificate
// it signed for hosts, so a local server can serve those hosts over
// https.
func standInTLS(t *testing.T, hosts ...string) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "plugboard test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: hosts[0]}, DNSNames: hosts,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTemplate, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool, tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}
}

// zohoStandIn plays Zoho's EU accounts and API servers: the token
// endpoint issues Zoho-style tokens with the account's api_domain, and the
// CRM API accepts only the Zoho-oauthtoken header.
type zohoStandIn struct {
	server *httptest.Server
	mu     sync.Mutex
	seen   []string // "host method path"
}

func newZohoStandIn(t *testing.T, cert tls.Certificate) *zohoStandIn {
	z := &zohoStandIn{}
	z.server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		z.mu.Lock()
		z.seen = append(z.seen, r.Host+" "+r.Method+" "+r.URL.Path)
		z.mu.Unlock()
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		switch {
		case r.Host == "accounts.zoho.eu" && r.URL.Path == "/oauth/v2/token":
			r.ParseForm()
			if r.PostForm.Get("client_id") != "1000.EUCLIENT" || r.PostForm.Get("client_secret") != "eu-secret-0123456789" ||
				r.PostForm.Get("code") != "1000.eu-code" || r.PostForm.Get("redirect_uri") != testPublicURL+"/oauth/callback" {
				// Zoho reports errors in a 200 body.
				json.NewEncoder(w).Encode(map[string]string{"error": "invalid_code"})
				return
			}
			json.NewEncoder(w).Encode(map[string]any{
				"access_token": "1000.eu-access", "refresh_token": "1000.eu-refresh", "scope": "ZohoCRM.modules.ALL",
				"api_domain": "https://www.zohoapis.eu", "token_type": "Bearer", "expires_in": 3600,
			})
		case r.Host == "www.zohoapis.eu" && r.URL.Path == "/crm/v2/Leads":
			if r.Header.Get("Authorization") != "Zoho-oauthtoken 1000.eu-access" {
				w.WriteHeader(http.StatusUnauthorized)
				json.NewEncoder(w).Encode(map[string]string{"code": "INVALID_TOKEN"})
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"data": []map[string]string{{"Last_Name": "Pump"}}})
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	z.server.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	z.server.StartTLS()
	t.Cleanup(z.server.Close)
	return z
}

// TestZohoCRMInEuropeanDataCentre creates a connection of the catalog's
// Zoho CRM service in the EU data centre, connects it and calls the CRM API,
// against a stand-in that serves accounts.zoho.eu and www.zohoapis.eu.
func TestZohoCRMInEuropeanDataCentre(t *testing.T) {
	f := newFixture(t)
	pool, cert := standInTLS(t, "accounts.zoho.eu", "www.zohoapis.eu")
	zoho := newZohoStandIn(t, cert)
	standIn := strings.TrimPrefix(zoho.server.URL, "https://")
	transport := egress.TransportOptions{
		AllowPrivate: true, RootCAs: pool,
		StandIns: map[string]string{"accounts.zoho.eu:443": standIn, "www.zohoapis.eu:443": standIn},
	}
	keyring, err := secrets.NewKeyring("zoho", map[string][]byte{"zoho": make([]byte, secrets.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	manager := connections.New(connections.Options{
		Store: f.store, Keyring: keyring, PublicURL: testPublicURL, Now: f.clock.Now,
		HTTPClient: &http.Client{Transport: egress.NewTransport(transport)}, Logger: slog.New(slog.DiscardHandler),
	})

	name, clientID, secret := "Zoho EU", "1000.EUCLIENT", secrets.Secret("eu-secret-0123456789")
	if _, err := manager.CreateApplication(f.ctx, f.admin, connections.ApplicationInput{
		Service: "zoho_crm", Name: &name, ClientID: &clientID, ClientSecret: &secret,
	}); err != nil {
		t.Fatal(err)
	}
	in := connections.ConnectionInput{Name: ptr("CRM Europe"), Service: "zoho_crm", Region: "eu", Scopes: &[]string{"ZohoCRM.modules.ALL", "ZohoCRM.users.READ"}}
	conn, err := manager.CreateConnection(f.ctx, f.developer, in)
	if err != nil {
		t.Fatal(err)
	}

	started, err := manager.Connect(f.ctx, f.developer, conn.LinkName, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	authURL, err := url.Parse(started.AuthorizationURL)
	if err != nil {
		t.Fatal(err)
	}
	q := authURL.Query()
	if authURL.Host != "accounts.zoho.eu" || q.Get("scope") != "ZohoCRM.modules.ALL,ZohoCRM.users.READ" ||
		q.Get("access_type") != "offline" || q.Get("prompt") != "consent" {
		t.Errorf("authorization URL = %s, want accounts.zoho.eu with comma-joined scopes, access_type=offline and prompt=consent", authURL)
	}

	if _, err := manager.CompleteAuthorization(f.ctx, q.Get("state"), "1000.eu-code", "", "", nil); err != nil {
		t.Fatalf("completing the authorization against the EU accounts server: %v", err)
	}
	call, err := manager.PrepareCall(f.ctx, f.developer, conn.LinkName)
	if err != nil {
		t.Fatal(err)
	}
	target, err := call.Resolve("/crm/v2/Leads")
	if err != nil {
		t.Fatal(err)
	}
	sender := &egress.Sender{Client: &http.Client{Transport: egress.NewTransport(transport)}}
	resp, err := sender.Do(f.ctx, &egress.Request{Method: "GET", URL: target.String()}, call.Allowlist, call.Authorizer)
	if err != nil {
		t.Fatalf("calling the CRM API: %v", err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(resp.Body), "Pump") {
		t.Errorf("CRM API answered %d %s, want 200 with the leads", resp.StatusCode, resp.Body)
	}
	want := []string{"accounts.zoho.eu POST /oauth/v2/token", "www.zohoapis.eu GET /crm/v2/Leads"}
	if strings.Join(zoho.seen, "|") != strings.Join(want, "|") {
		t.Errorf("stand-in saw %v, want %v", zoho.seen, want)
	}
}
