package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/samplecode"
)

// snippetJSON is the sample code of one language.
type snippetJSON struct {
	Lang  string `json:"lang"`
	Label string `json:"label"`
	Code  string `json:"code"`
}

// sampleCode returns the connection's sample code: one language with
// ?lang=, else every language as a list. Viewers may read it, because it
// contains no secret.
func (s *Server) sampleCode(w http.ResponseWriter, r *http.Request, c *Caller) error {
	query := r.URL.Query()
	lang := query.Get("lang")
	accepted := samplecode.Languages()
	if query.Has("lang") && !slices.Contains(accepted, lang) {
		return problem.BadRequest("unknown_lang", "lang %q is not supported; use one of %s", lang, strings.Join(accepted, ", ")).
			With("lang", lang).With("accepted", accepted)
	}
	call, err := s.conns.SampleCall(r.Context(), c.Actor, r.PathValue("link"))
	if err != nil {
		return err
	}

	if !query.Has("lang") {
		out := list[snippetJSON]{Items: []snippetJSON{}}
		for _, snippet := range samplecode.All(call) {
			out.Items = append(out.Items, snippetJSON{Lang: snippet.Lang, Label: snippet.Label, Code: snippet.Code})
		}
		return writeJSON(w, http.StatusOK, out)
	}
	snippet, err := samplecode.Generate(lang, call)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, snippetJSON{Lang: snippet.Lang, Label: snippet.Label, Code: snippet.Code})
}
