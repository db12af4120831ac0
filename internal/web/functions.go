package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/functions"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/samplecode"
	"github.com/plugboard/plugboard/internal/store"
)

// functionRoutes are the functions pages. Handler adds them when the
// server has a functions service.
func (s *Server) functionRoutes() []route {
	return []route{
		{pattern: "GET /functions", member: s.functionsPage},
		{pattern: "GET /functions/new", member: s.newFunctionPage},
		{pattern: "POST /functions/new", member: s.createFunction},
		{pattern: "GET /functions/{name}", member: s.functionPage},
		{pattern: "POST /functions/{name}", member: s.updateFunction},
		{pattern: "POST /functions/{name}/run", member: s.runFunction},
		{pattern: "POST /functions/{name}/delete", member: s.deleteFunction},
	}
}

// functionsView is the functions list's data.
type functionsView struct {
	Functions []functions.Function
	CanManage bool
}

// functionView is a function's page, or the new-function form when
// Function has no ID.
type functionView struct {
	Function functions.Function
	Form     *form
	// CanChange is set for the function's creator and admins, who may
	// edit and delete it.
	CanChange bool
	// CanRun is set for members whose role may use credentials.
	CanRun bool
	// Viewer hides the script, which may contain a literal key.
	Viewer bool
	// RunForm holds the arguments of the last run.
	RunForm *form
	Run     *runView
}

// runView is the outcome of one run: a result, or the runtime error with
// its position.
type runView struct {
	Result     string
	Log        []string
	DurationMS int64
	Failed     bool
	Message    string
	Line       int
	Column     int
	// CallError is the code of a failed invokeurl task, such as
	// authorization_required.
	CallError string
	// ConnectLink is the link name of the connection to connect, for a
	// call that failed because its credential is missing.
	ConnectLink string
}

// functionFields maps function problem codes to the form's fields.
var functionFields = map[string]string{
	"script_invalid":  "script",
	"function_exists": "name",
}

// functionField returns the form field a function problem names.
func functionField(p *problem.Error) string {
	if field, ok := functionFields[p.Code]; ok {
		return field
	}
	if p.Code != "invalid_function" {
		return ""
	}
	for _, field := range []string{"name", "script"} {
		if strings.HasPrefix(p.Detail, field) {
			return field
		}
	}
	return ""
}

func (s *Server) functionsPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	fns, err := s.functions.List(r.Context(), sess.Actor)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "functions", sess, functionsView{Functions: fns, CanManage: sess.Actor.CanManage()})
	return nil
}

// newFunctionPage shows the new-function form. With ?connection=LINK the
// script is that connection's Deluge sample.
func (s *Server) newFunctionPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	if !sess.Actor.CanManage() {
		return forbiddenFor(sess.Actor.Role, "create functions")
	}
	f := newForm(url.Values{})
	if link := r.URL.Query().Get("connection"); link != "" {
		script, err := s.delugeSample(r, sess, link)
		if err != nil {
			return err
		}
		f.Values.Set("script", script)
		f.Values.Set("name", sampleFunctionName(link))
	}
	s.render(w, r, http.StatusOK, "function", sess, s.newFunctionView(sess, functions.Function{}, f))
	return nil
}

// sampleFunctionName returns the suggested name of a function made from a
// connection's sample, cut to the 50 characters a function name may have.
// Link names are ASCII, so cutting bytes cuts characters.
func sampleFunctionName(link string) string {
	name := link + "_sample"
	if len(name) > 50 {
		return name[:50]
	}
	return name
}

// delugeSample returns the Deluge sample code of a connection.
func (s *Server) delugeSample(r *http.Request, sess *session, link string) (string, error) {
	call, err := s.conns.SampleCall(r.Context(), sess.Actor, link)
	if err != nil {
		return "", err
	}
	snippet, err := samplecode.Generate(samplecode.Deluge, call)
	if err != nil {
		return "", err
	}
	return snippet.Code, nil
}

func (s *Server) newFunctionView(sess *session, fn functions.Function, f *form) *functionView {
	canManage := sess.Actor.CanManage()
	return &functionView{
		Function: fn, Form: f,
		CanChange: canManage && (fn.ID == "" || sess.Actor.Role == store.RoleAdmin || fn.CreatedBy == sess.Actor.UserID),
		CanRun:    sess.Actor.CanUseCredentials() && fn.ID != "",
		Viewer:    sess.Actor.Role == store.RoleViewer,
		RunForm:   newForm(url.Values{"arguments": {"{}"}}),
	}
}

func (s *Server) createFunction(w http.ResponseWriter, r *http.Request, sess *session) error {
	if !sess.Actor.CanManage() {
		return forbiddenFor(sess.Actor.Role, "create functions")
	}
	f := newForm(r.PostForm)
	name, script := strings.TrimSpace(f.Get("name")), f.Get("script")
	language := functions.LanguageDeluge
	fn, err := s.functions.Create(r.Context(), sess.Actor, functions.Input{Name: &name, Language: &language, Script: &script})
	if err == nil {
		return redirect(w, r, "/functions/"+url.PathEscape(fn.Name), "function_created")
	}
	if failErr := s.failForm(r, f, err, functionField); failErr != nil {
		return failErr
	}
	s.render(w, r, formStatus(err), "function", sess, s.newFunctionView(sess, functions.Function{}, f))
	return nil
}

func (s *Server) functionPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	v, err := s.functionView(r, sess, r.PathValue("name"))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "function", sess, v)
	return nil
}

// functionView loads a function and its edit form.
func (s *Server) functionView(r *http.Request, sess *session, name string) (*functionView, error) {
	fn, err := s.functions.Get(r.Context(), sess.Actor, name)
	if err != nil {
		return nil, err
	}
	return s.newFunctionView(sess, fn, newForm(url.Values{"name": {fn.Name}, "script": {fn.Script}})), nil
}

func (s *Server) updateFunction(w http.ResponseWriter, r *http.Request, sess *session) error {
	name := r.PathValue("name")
	f := newForm(r.PostForm)
	newName, script := strings.TrimSpace(f.Get("name")), f.Get("script")
	fn, err := s.functions.Update(r.Context(), sess.Actor, name, functions.Input{Name: &newName, Script: &script})
	if err == nil {
		return redirect(w, r, "/functions/"+url.PathEscape(fn.Name), "function_saved")
	}
	if isProblem(err, "function_not_found") {
		return err
	}
	if failErr := s.failForm(r, f, err, functionField); failErr != nil {
		return failErr
	}
	v, viewErr := s.functionView(r, sess, name)
	if viewErr != nil {
		return viewErr
	}
	v.Form = f
	s.render(w, r, formStatus(err), "function", sess, v)
	return nil
}

func (s *Server) deleteFunction(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := s.functions.Delete(r.Context(), sess.Actor, r.PathValue("name")); err != nil {
		return err
	}
	return redirect(w, r, "/functions", "function_deleted")
}

// runFunction runs a function with the form's JSON arguments and shows
// the outcome on the function's page, with the arguments kept.
func (s *Server) runFunction(w http.ResponseWriter, r *http.Request, sess *session) error {
	name := r.PathValue("name")
	v, err := s.functionView(r, sess, name)
	if err != nil {
		return err
	}
	v.RunForm = newForm(r.PostForm)
	args, argErr := parseArguments(v.RunForm.Get("arguments"))
	if argErr != "" {
		v.RunForm.Fail("arguments", argErr)
		s.render(w, r, http.StatusUnprocessableEntity, "function", sess, v)
		return nil
	}

	result, err := s.functions.Run(r.Context(), sess.Actor, name, args)
	if err != nil {
		p, ok := problem.As(err)
		if !ok || p.Status >= 500 || p.Status == http.StatusForbidden || p.Status == http.StatusNotFound {
			return err
		}
		s.logRejected(r, p)
		if p.Code == "invalid_arguments" {
			v.RunForm.Fail("arguments", sentence(p.Detail))
		} else {
			v.Run = failedRun(p)
		}
		s.render(w, r, p.Status, "function", sess, v)
		return nil
	}
	value, err := json.MarshalIndent(result.Value, "", "  ")
	if err != nil {
		return err
	}
	v.Run = &runView{Result: string(value), Log: result.Log, DurationMS: result.Duration.Milliseconds()}
	s.render(w, r, http.StatusOK, "function", sess, v)
	return nil
}

// parseArguments reads the arguments textarea, a JSON object, and returns
// the message for the field when it is not one.
func parseArguments(text string) (map[string]any, string) {
	if strings.TrimSpace(text) == "" {
		return nil, ""
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var args map[string]any
	if err := dec.Decode(&args); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, "The arguments must be a JSON object such as {\"device\": \"pump-7\"}, not a JSON " + typeErr.Value + "."
		}
		return nil, "The arguments are not valid JSON (" + err.Error() + "). Write an object such as {\"device\": \"pump-7\"}."
	}
	if dec.More() {
		return nil, "The arguments have text after the JSON object. Write one object such as {\"device\": \"pump-7\"}."
	}
	return args, ""
}

// failedRun returns the view of a run that failed with a problem.
func failedRun(p *problem.Error) *runView {
	run := &runView{Failed: true, Message: sentence(p.Detail)}
	run.Line, _ = p.Extra["line"].(int)
	run.Column, _ = p.Extra["column"].(int)
	if log, ok := p.Extra["log"].([]string); ok {
		run.Log = log
	}
	run.CallError, _ = p.Extra["call_error"].(string)
	if connectURL, ok := p.Extra["connect_url"].(string); ok {
		run.ConnectLink = linkOfConnectURL(connectURL)
	}
	return run
}

// linkOfConnectURL returns the link name in a connect URL of the form
// {public_url}/v1/connections/{link}/connect, or "" for another form.
func linkOfConnectURL(connectURL string) string {
	u, err := url.Parse(connectURL)
	if err != nil {
		return ""
	}
	rest, ok := strings.CutPrefix(u.Path, "/v1/connections/")
	if !ok {
		return ""
	}
	link, ok := strings.CutSuffix(rest, "/connect")
	if !ok || strings.Contains(link, "/") {
		return ""
	}
	return link
}
