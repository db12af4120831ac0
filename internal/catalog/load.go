package catalog

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
)

// servicesDir is the folder of the embedded service files, one JSON object
// per file, named after the service key.
const servicesDir = "services"

//go:embed services/*.json
var serviceFiles embed.FS

// loadDefault loads the embedded catalog once per process. The data is
// compiled in, so the result never changes after the first call.
var loadDefault = sync.OnceValues(Load)

// Catalog is a loaded, validated set of default services, sorted by key. It
// hands out deep copies, so callers cannot change it.
type Catalog struct {
	services []Service
}

// Load reads and validates the service files embedded in the binary.
func Load() (*Catalog, error) {
	return loadFS(serviceFiles, servicesDir)
}

// Default returns a copy of every default service, sorted by key. It panics
// when the embedded files are invalid, which the package tests rule out.
func Default() []Service {
	return mustLoadDefault().Services()
}

// Lookup returns a copy of the default service with the key.
func Lookup(key string) (Service, bool) {
	return mustLoadDefault().Lookup(key)
}

func mustLoadDefault() *Catalog {
	c, err := loadDefault()
	if err != nil {
		panic(fmt.Sprintf("catalog: the embedded default services are invalid, fix the files in internal/catalog/services: %v", err))
	}
	return c
}

// Services returns a deep copy of every service, sorted by key.
func (c *Catalog) Services() []Service {
	out := make([]Service, len(c.services))
	for i := range c.services {
		out[i] = c.services[i].Clone()
	}
	return out
}

// Lookup returns a deep copy of the service with the key.
func (c *Catalog) Lookup(key string) (Service, bool) {
	i, found := slices.BinarySearchFunc(c.services, key, func(s Service, key string) int {
		return strings.Compare(s.Key, key)
	})
	if !found {
		return Service{}, false
	}
	return c.services[i].Clone(), true
}

// loadFS reads every *.json file in dir of fsys as one service, checks it and
// returns the services sorted by key. It reports the problems of every file.
func loadFS(fsys fs.FS, dir string) (*Catalog, error) {
	paths, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("listing service files in %s: %w", dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no service files in %s: add one JSON file per service", dir)
	}

	var services []Service
	var errs []error
	for _, p := range paths {
		s, err := loadFile(fsys, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("loading %s: %w", p, err))
			continue
		}
		services = append(services, s)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	// File names are unique and must equal the keys, so keys are unique too.
	slices.SortFunc(services, func(a, b Service) int { return strings.Compare(a.Key, b.Key) })
	return &Catalog{services: services}, nil
}

// loadFile decodes, normalizes and validates one service file and marks the
// service as a default one.
func loadFile(fsys fs.FS, name string) (Service, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return Service{}, err
	}
	defer f.Close()

	s, err := decodeService(f)
	if err != nil {
		return Service{}, err
	}
	if s.Kind != "" {
		return Service{}, fmt.Errorf("kind is %q: remove it, because the loader marks every file as %q", s.Kind, KindDefault)
	}

	s.Normalize()
	if err := s.Validate(); err != nil {
		return Service{}, fmt.Errorf("invalid service: %w", err)
	}
	if base := strings.TrimSuffix(path.Base(name), ".json"); base != s.Key {
		return Service{}, fmt.Errorf("file name %q does not match key %q: rename the file to %s.json", path.Base(name), s.Key, s.Key)
	}

	s.Kind = KindDefault
	return s, nil
}

// decodeService decodes exactly one JSON object into a Service and rejects
// fields the Service type does not have, so that a misspelt field fails
// instead of being dropped.
func decodeService(r io.Reader) (Service, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()

	var s Service
	if err := dec.Decode(&s); err != nil {
		return Service{}, fmt.Errorf("decoding JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Service{}, errors.New("unexpected data after the service object: keep exactly one service per file")
	}
	return s, nil
}
