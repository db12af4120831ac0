package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/problem"
)

func (s *Server) listServices(w http.ResponseWriter, r *http.Request, c *Caller) error {
	q := r.URL.Query()
	services, err := s.conns.ListServices(r.Context(), c.Actor.OrgID, q.Get("kind"), q.Get("q"))
	if err != nil {
		return err
	}
	limit, after, err := page(r)
	if err != nil {
		return err
	}
	out := list[catalog.Service]{Items: []catalog.Service{}}
	for _, svc := range services {
		if svc.Key <= after {
			continue
		}
		if len(out.Items) == limit {
			out.NextCursor = cursorOf(out.Items[len(out.Items)-1].Key)
			break
		}
		out.Items = append(out.Items, publicService(svc))
	}
	return writeJSON(w, http.StatusOK, out)
}

// publicService returns svc without the maintainers' notes of a default
// service, which are not part of the API.
func publicService(svc catalog.Service) catalog.Service {
	svc.Notes = ""
	return svc
}

func (s *Server) getService(w http.ResponseWriter, r *http.Request, c *Caller) error {
	svc, err := s.conns.Service(r.Context(), c.Actor.OrgID, r.PathValue("key"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, publicService(svc))
}

func (s *Server) createService(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in catalog.Service
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	svc, err := s.conns.CreateService(r.Context(), c.Actor, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, svc)
}

// updateService applies a JSON merge patch (RFC 7396) to a custom
// service's definition: members present replace, null removes.
func (s *Server) updateService(w http.ResponseWriter, r *http.Request, c *Caller) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return badJSON(err)
	}
	var patch map[string]any
	if err := json.Unmarshal(raw, &patch); err != nil {
		return badJSON(err)
	}
	if _, ok := patch["key"]; ok {
		return problem.Invalid("immutable_field", "key cannot change; create a new service instead")
	}
	svc, err := s.conns.UpdateService(r.Context(), c.Actor, r.PathValue("key"), func(svc *catalog.Service) error {
		return mergePatch(svc, patch)
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, svc)
}

// mergePatch applies patch to svc through its JSON form. The merged
// document is decoded into a zero Service, because decoding into svc itself
// would keep the members that the patch removed with null.
func mergePatch(svc *catalog.Service, patch map[string]any) error {
	current, err := json.Marshal(svc)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(current, &doc); err != nil {
		return err
	}
	merged, err := json.Marshal(mergeObjects(doc, patch))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields()
	var patched catalog.Service
	if err := dec.Decode(&patched); err != nil {
		return badJSON(err)
	}
	*svc = patched
	return nil
}

func mergeObjects(target, patch map[string]any) map[string]any {
	for k, pv := range patch {
		if pv == nil {
			delete(target, k)
			continue
		}
		if pm, ok := pv.(map[string]any); ok {
			tm, _ := target[k].(map[string]any)
			if tm == nil {
				tm = map[string]any{}
			}
			target[k] = mergeObjects(tm, pm)
			continue
		}
		target[k] = pv
	}
	return target
}

func (s *Server) deleteService(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := s.conns.DeleteService(r.Context(), c.Actor, r.PathValue("key")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
