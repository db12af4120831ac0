// Package egress sends plugboard's outbound HTTP requests made through a
// connection: the streaming proxy (Sender.Proxy) and invoke (Sender.Do).
// Sender.DoWithoutCredential sends an invoke call that names no connection
// and carries no credential, so it may go to any http or https host, with
// the egress guard and the checks of Do still applied.
//
// The package keeps these guarantees:
//
//   - A credential is only sent to a host that the service's Allowlist allows:
//     the host and port of its API base URL and of its declared extra hosts.
//     Hosts match exactly; a host with a trailing dot matches only an entry
//     written with the dot. The check runs before the first request and
//     before every redirect hop. A redirect to any other host, or with a
//     Location that cannot be parsed, is returned to the caller, not
//     followed.
//   - A credential is only sent over https, except to a loopback host
//     (localhost, 127.0.0.0/8 or ::1), which may use http for development
//     and tests.
//   - A transport from NewTransport checks the IP address it is about to
//     connect to, after DNS resolution and on every redirect. It blocks
//     loopback, private, link-local (169.254.169.254 included), unique-local,
//     unspecified, multicast, broadcast and carrier-grade NAT addresses, also
//     in their IPv4-mapped and NAT64 IPv6 forms, unless
//     TransportOptions.AllowPrivate is set.
//   - The transport ignores proxy settings from the environment, so requests
//     go straight to the destination.
//   - The caller's own Authorization header and hop-by-hop headers never
//     reach the upstream, and the Authorizer sets the credential last. The
//     proxy also drops the caller's Cookie and forwarding headers.
//   - Hop-by-hop headers of the upstream's response never reach the caller.
//     The proxy also drops Set-Cookie and Set-Cookie2. When the Authorizer is
//     a ResponseRedactor, it removes the credential from the response headers
//     that the caller receives from Proxy and Do.
//   - Do checks the method and headers of an invoke call before sending it,
//     and the whole call has a time limit (Sender.InvokeTimeout).
//   - After an upstream 401 the request is authorized again, with retry set,
//     and sent once more, but only when its body can be replayed.
package egress
