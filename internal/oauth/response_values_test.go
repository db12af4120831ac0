package oauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
)

func TestTokenUnsafeCharactersRejected(t *testing.T) {
	unsafe := map[string]string{
		"CR LF":              "\r\nX-Injected: 1",
		"LF":                 "\n",
		"NUL":                "\x00",
		"SOH":                "\x01",
		"DEL":                "\x7f",
		"tab":                "\t",
		"space":              " ",
		"no-break space":     "\u00a0",
		"next line":          "\u0085",
		"line separator":     "\u2028",
		"C1 control":         "\u009b",
		"unit separator US":  "\x1f",
		"escape":             "\x1b",
		"ideographic space":  "\u3000",
		"form feed":          "\f",
		"vertical tab":       "\v",
		"carriage return CR": "\r",
	}
	for _, member := range []string{"access_token", "refresh_token", "token_type"} {
		for charName, char := range unsafe {
			// A token_type is trimmed before it is checked, so the character
			// goes between two letters.
			value := "tok" + char + "en-0123456789"
			members := map[string]string{"access_token": "at-0123456789", "token_type": "Bearer", member: value}
			body, err := json.Marshal(members)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(member+" "+charName, func(t *testing.T) {
				e := newEndpoint(t, respondWith(http.StatusOK, "application/json", string(body)))
				cfg := newTestConfig(e, catalog.ClientSecretBasic)

				exchanged, exchangeErr := cfg.Exchange(t.Context(), "code-1", "")
				refreshed, refreshErr := cfg.Refresh(t.Context(), "rt-old")
				for name, result := range map[string]struct {
					token *Token
					err   error
				}{"exchange": {exchanged, exchangeErr}, "refresh": {refreshed, refreshErr}} {
					if result.err == nil {
						t.Errorf("%s returned a token, want an error", name)
						continue
					}
					if result.token != nil {
						t.Errorf("%s returned a token next to error %v", name, result.err)
					}
					var oauthErr *Error
					if errors.As(result.err, &oauthErr) {
						t.Errorf("%s error = %#v, want an error that is not an *Error", name, oauthErr)
					}
					message := result.err.Error()
					if !strings.Contains(message, member) {
						t.Errorf("%s error %q does not name %s", name, message, member)
					}
					if member != "refresh_token" && !strings.Contains(message, "cannot be sent in an HTTP header") {
						t.Errorf("%s error %q does not say the value cannot be sent in an HTTP header", name, message)
					}
					if strings.Contains(message, "en-0123456789") {
						t.Errorf("%s error %q contains the token", name, message)
					}
				}
			})
		}
	}
}

func TestTokenUnsafeCharactersInFormBody(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusOK, "application/x-www-form-urlencoded",
		"access_token=at-1%0D%0AX-Injected%3A+1&token_type=bearer"))

	token, err := newTestConfig(e, catalog.ClientSecretBasic).Exchange(t.Context(), "code-1", "")
	if err == nil {
		t.Fatalf("Exchange returned token %v, want an error", token)
	}
	if !strings.Contains(err.Error(), "access_token") {
		t.Errorf("Exchange error = %q, want one naming access_token", err)
	}
}

func TestTokenHeaderSafeValuesAccepted(t *testing.T) {
	body := `{"access_token":"at-1.~+/=|:_AZaz09","refresh_token":"rt-1!#$%&'*","token_type":" bearer "}`
	e := newEndpoint(t, respondWith(http.StatusOK, "application/json", body))

	got, err := newTestConfig(e, catalog.ClientSecretBasic).Exchange(t.Context(), "code-1", "")
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if got.AccessToken != "at-1.~+/=|:_AZaz09" {
		t.Errorf("AccessToken = %q, want it unchanged", got.AccessToken)
	}
	if got.RefreshToken != "rt-1!#$%&'*" {
		t.Errorf("RefreshToken = %q, want it unchanged", got.RefreshToken)
	}
	if got.TokenType != "Bearer" {
		t.Errorf("TokenType = %q, want Bearer", got.TokenType)
	}
}

func TestParseExpiresIn(t *testing.T) {
	longDigits := "1" + strings.Repeat("0", 400)
	tests := []struct {
		name  string
		value any
		want  time.Duration
		// wantErr is a substring of the expected error, or "" for success.
		wantErr string
	}{
		{name: "absent", value: nil},
		{name: "empty string", value: ""},
		{name: "blank string", value: "  "},
		{name: "json integer", value: json.Number("3600"), want: time.Hour},
		{name: "json zero", value: json.Number("0")},
		{name: "json fraction", value: json.Number("1.5"), want: 1500 * time.Millisecond},
		{name: "string integer", value: "3600", want: time.Hour},
		{name: "string with surrounding spaces", value: " 3600 ", want: time.Hour},
		{name: "string fraction", value: "0.25", want: 250 * time.Millisecond},
		{name: "leading zeros", value: "0060", want: time.Minute},
		{name: "above int32 capped", value: "2147483648", want: maxExpiresIn * time.Second},
		{name: "beyond float64 capped", value: json.Number(longDigits), want: maxExpiresIn * time.Second},

		{name: "plus infinity", value: "+Inf", wantErr: "expected a non-negative decimal number"},
		{name: "infinity", value: "Inf", wantErr: "expected a non-negative decimal number"},
		{name: "infinity word", value: "infinity", wantErr: "expected a non-negative decimal number"},
		{name: "minus infinity", value: "-Inf", wantErr: "expected a non-negative decimal number"},
		{name: "not a number", value: "NaN", wantErr: "expected a non-negative decimal number"},
		{name: "underscores", value: "1_000", wantErr: "expected a non-negative decimal number"},
		{name: "leading plus", value: "+5", wantErr: "expected a non-negative decimal number"},
		{name: "leading plus zero", value: "+0", wantErr: "expected a non-negative decimal number"},
		{name: "hexadecimal", value: "0x10", wantErr: "expected a non-negative decimal number"},
		{name: "hexadecimal float", value: "0x1p4", wantErr: "expected a non-negative decimal number"},
		{name: "string exponent", value: "1e3", wantErr: "expected a non-negative decimal number"},
		{name: "json exponent", value: json.Number("3.6E+3"), wantErr: "expected a non-negative decimal number"},
		{name: "trailing point", value: "1.", wantErr: "expected a non-negative decimal number"},
		{name: "leading point", value: ".5", wantErr: "expected a non-negative decimal number"},
		{name: "two points", value: "1.2.3", wantErr: "expected a non-negative decimal number"},
		{name: "inner space", value: "5 5", wantErr: "expected a non-negative decimal number"},
		{name: "decimal comma", value: "1,5", wantErr: "expected a non-negative decimal number"},
		{name: "arabic-indic digit", value: "\u0663", wantErr: "expected a non-negative decimal number"},
		{name: "word", value: "soon", wantErr: "expected a non-negative decimal number"},
		{name: "negative json", value: json.Number("-5"), wantErr: "negative"},
		{name: "negative string", value: "-5", wantErr: "negative"},
		{name: "negative fraction", value: "-0.5", wantErr: "negative"},
		{name: "boolean", value: true, wantErr: "expected a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLifetime("expires_in", tt.value)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parseLifetime(%q) error = %v, want nil", tt.value, err)
				}
				if got != tt.want {
					t.Errorf("parseLifetime(%q) = %v, want %v", tt.value, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseLifetime(%q) = %v, want an error", tt.value, got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseLifetime(%q) error = %q, want one containing %q", tt.value, err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), "expires_in") {
				t.Errorf("parseLifetime(%q) error = %q, want one naming expires_in", tt.value, err)
			}
		})
	}
}

func TestExchangeRejectsInfiniteExpiresIn(t *testing.T) {
	e := newEndpoint(t, respondWith(http.StatusOK, "application/x-www-form-urlencoded",
		"access_token=at-1&expires_in=%2BInf"))

	token, err := newTestConfig(e, catalog.ClientSecretBasic).Exchange(t.Context(), "code-1", "")
	if err == nil {
		t.Fatalf("Exchange returned token %v, want an error", token)
	}
	var oauthErr *Error
	if errors.As(err, &oauthErr) {
		t.Errorf("Exchange error = %#v, want an error that is not an *Error", oauthErr)
	}
}
