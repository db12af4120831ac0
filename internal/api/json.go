package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/plugboard/plugboard/internal/problem"
)

// maxBodyBytes bounds JSON request bodies other than proxied ones.
const maxBodyBytes = 1 << 20

// decodeJSON decodes a JSON request body into v, rejecting unknown fields
// so a misspelt field is reported instead of ignored.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, maxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	// Numbers decoded into interface values stay exact, such as a 20-digit
	// invoke parameter.
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return badJSON(err)
	}
	if dec.More() {
		return problem.BadRequest("invalid_json", "the request body has data after the JSON value; send one JSON object")
	}
	return nil
}

func badJSON(err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return problem.BadRequest("invalid_json", "the request body is empty; send a JSON object")
	case errors.As(err, &syntax):
		return problem.BadRequest("invalid_json", "the request body is not valid JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return problem.BadRequest("invalid_json", "the request body must be a JSON object, not %s", typeErr.Value)
	case errors.As(err, &typeErr):
		return problem.BadRequest("invalid_json", "field %q must be a JSON %s, not %s", typeErr.Field, jsonKind(typeErr.Type), typeErr.Value)
	case errors.As(err, &tooLarge):
		return problem.New(http.StatusRequestEntityTooLarge, "body_too_large", "the request body exceeds %d bytes", tooLarge.Limit)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return problem.BadRequest("unknown_field", "field %s is not known; check its spelling against /v1/openapi.json", field)
	}
	return problem.BadRequest("invalid_json", "the request body could not be decoded: %s", err.Error())
}

// jsonKind names the JSON type that values of a Go type are decoded from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "object"
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	// Responses are JSON, never HTML, so "&" and "<" in URLs stay readable.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding response: %w", err)
	}
	return nil
}

// list is a page of a paginated list.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

const (
	defaultPageSize = 50
	maxPageSize     = 200
)

// page reads the limit and cursor query parameters. The cursor is the
// opaque, base64url-encoded sort key of the last item of the previous page.
func page(r *http.Request) (limit int, after string, err error) {
	limit = defaultPageSize
	if raw := r.URL.Query().Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxPageSize {
			return 0, "", problem.BadRequest("invalid_limit", "limit %q is not valid; use a number from 1 to %d", raw, maxPageSize)
		}
		limit = n
	}
	if raw := r.URL.Query().Get("cursor"); raw != "" {
		b, err := base64.RawURLEncoding.DecodeString(raw)
		if err != nil {
			return 0, "", problem.BadRequest("invalid_cursor", "cursor %q is not valid; pass next_cursor from the previous page unchanged", raw)
		}
		after = string(b)
	}
	return limit, after, nil
}

func cursorOf(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key))
}
