package deluge

import (
	"bytes"
	"sort"
	"strings"
)

// invoke runs the invokeurl task.
func (in *interp) invoke(x *InvokeExpr) (any, error) {
	if err := in.step(x.At); err != nil {
		return nil, err
	}
	req, detailed, err := in.invokeRequest(x)
	if err != nil {
		return nil, err
	}
	if in.env.Invoker == nil {
		return nil, runtimeErrorf(x.At, "invokeurl is not available in this run")
	}
	in.calls++
	if in.calls > in.limits.MaxCalls {
		return nil, runtimeErrorf(x.At, "run exceeded the call limit of %d invokeurl calls", in.limits.MaxCalls)
	}

	resp, err := in.env.Invoker.Invoke(in.ctx, req)
	if err != nil {
		if ctxErr := in.ctx.Err(); ctxErr != nil {
			return nil, in.contextError(x.At, ctxErr)
		}
		rerr := runtimeErrorf(x.At, "invokeurl failed: %v", err)
		rerr.Err = err
		return nil, rerr
	}
	if int64(len(resp.Body)) > in.limits.MaxResponseBytes {
		return nil, runtimeErrorf(x.At, "invokeurl response exceeded the response limit of %d bytes", in.limits.MaxResponseBytes)
	}
	if err := in.allocate(x.At, int64(len(resp.Body))); err != nil {
		return nil, err
	}

	body := responseValue(resp.Body)
	if !detailed {
		return body, nil
	}
	header := newMap()
	names := make([]string, 0, len(resp.Header))
	for name := range resp.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		header.put(strings.ToLower(name), strings.Join(resp.Header[name], ", "))
	}
	if err := in.allocate(x.At, sizeOf(header)); err != nil {
		return nil, err
	}
	out := newMap()
	out.put("responseCode", int64(resp.StatusCode))
	out.put("responseHeader", header)
	out.put("responseText", body)
	return out, nil
}

// responseValue returns a JSON object or array body as a map or list, and
// any other body as text.
func responseValue(body []byte) any {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		if v, err := parseJSON(trimmed); err == nil {
			return v
		}
	}
	return string(body)
}

// invokeRequest evaluates the keys of the task.
func (in *interp) invokeRequest(x *InvokeExpr) (InvokeRequest, bool, error) {
	req := InvokeRequest{
		Method:           "GET",
		Line:             x.At.Line,
		Column:           x.At.Column,
		MaxResponseBytes: in.limits.MaxResponseBytes,
	}
	detailed := false
	textParameters := false
	for _, param := range x.Params {
		v, err := in.eval(param.Value)
		if err != nil {
			return req, false, err
		}
		pos := param.Value.Pos()
		wrongType := func(want string) error {
			return runtimeErrorf(pos, "invokeurl %s must be %s, got %s", param.Key, want, typeName(v))
		}
		switch param.Key {
		case "url":
			s, ok := v.(string)
			if !ok || s == "" {
				return req, false, wrongType("non-empty TEXT")
			}
			req.URL = s
		case "type":
			s, ok := v.(string)
			if !ok || !httpMethods[strings.ToUpper(s)] {
				return req, false, runtimeErrorf(pos, "invokeurl type must be GET, POST, PUT, PATCH or DELETE, got %s", text(v))
			}
			req.Method = strings.ToUpper(s)
		case "parameters":
			switch p := v.(type) {
			case nil:
			case *Map:
				req.Parameters = make(map[string]any, p.Len())
				for _, k := range p.keys {
					req.Parameters[k] = export(p.values[k])
				}
			case string:
				textParameters = true
				req.Body = p
			default:
				return req, false, wrongType("a KEY-VALUE or TEXT")
			}
		case "headers":
			switch h := v.(type) {
			case nil:
			case *Map:
				req.Headers = make(map[string]string, h.Len())
				for _, k := range h.keys {
					req.Headers[k] = concatText(h.values[k])
				}
			default:
				return req, false, wrongType("a KEY-VALUE")
			}
		case "body":
			switch v.(type) {
			case nil, string, *Map, *List:
				req.Body = export(v)
			default:
				return req, false, wrongType("TEXT, a KEY-VALUE or a LIST")
			}
		case "content-type":
			s, ok := v.(string)
			if !ok {
				return req, false, wrongType("TEXT")
			}
			req.ContentType = s
		case "connection":
			s, ok := v.(string)
			if !ok || s == "" {
				return req, false, wrongType("the link name of a connection as TEXT")
			}
			req.Connection = s
		case "detailed":
			b, ok := v.(bool)
			if !ok {
				return req, false, wrongType("a BOOLEAN")
			}
			detailed = b
		}
	}
	if textParameters && hasKey(x, "body") {
		return req, false, runtimeErrorf(x.At, "invokeurl got both body and text parameters; give the body once")
	}
	return req, detailed, nil
}

func hasKey(x *InvokeExpr, key string) bool {
	for _, p := range x.Params {
		if p.Key == key {
			return true
		}
	}
	return false
}
