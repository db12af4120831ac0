package catalog

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Region is one data centre of a service. Its Vars fill the {name}
// placeholders in the service's URLs and allowed hosts, such as
// {"accounts": "accounts.zoho.eu"}.
type Region struct {
	ID   string            `json:"id"`
	Name string            `json:"name"`
	Vars map[string]string `json:"vars,omitempty"`
}

var (
	regionIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,15}$`)
	varNamePattern  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,49}$`)

	// placeholderPattern matches a {name} placeholder. It also matches
	// malformed names such as {Host} or {}, so that validation reports them
	// instead of passing them on as part of a URL.
	placeholderPattern = regexp.MustCompile(`\{[^{}]*\}`)
)

// templatedField is one service field that may contain placeholders.
type templatedField struct {
	name  string
	value *string
}

// templatedFields returns pointers to every field of s that may contain
// placeholders: the OAuth 2.0 endpoints, the API base URL and each allowed
// host.
func templatedFields(s *Service) []templatedField {
	fields := []templatedField{{"api_base_url", &s.APIBaseURL}}
	if o := s.OAuth2; o != nil {
		fields = append(fields,
			templatedField{"oauth2.authorization_url", &o.AuthorizationURL},
			templatedField{"oauth2.token_url", &o.TokenURL},
			templatedField{"oauth2.revocation_url", &o.RevocationURL},
		)
		for i := range o.Hosts {
			fields = append(fields, templatedField{fmt.Sprintf("oauth2.hosts[%d]", i), &o.Hosts[i]})
		}
	}
	for i := range s.AllowedHosts {
		fields = append(fields, templatedField{fmt.Sprintf("allowed_hosts[%d]", i), &s.AllowedHosts[i]})
	}
	return fields
}

// RegionIDs returns the IDs of the service's regions in their declared order.
func (s *Service) RegionIDs() []string {
	ids := make([]string, len(s.Regions))
	for i, r := range s.Regions {
		ids[i] = r.ID
	}
	return ids
}

// ForRegion returns a deep copy of the service for one data centre, with every
// placeholder replaced by that region's variables. An empty region means the
// default region; a service without regions accepts only "". The copy has no
// regions and no default region, so it is a concrete service that validates on
// its own. It returns an error naming the valid region IDs when the region is
// unknown.
func (s Service) ForRegion(region string) (Service, error) {
	if len(s.Regions) == 0 {
		if region != "" {
			return Service{}, fmt.Errorf("service %q has no regions: leave the region %q empty", s.Key, region)
		}
		return s.Clone(), nil
	}

	id := region
	if id == "" {
		id = s.DefaultRegion
	}
	i := slices.IndexFunc(s.Regions, func(r Region) bool { return r.ID == id })
	if i < 0 {
		if region == "" {
			return Service{}, fmt.Errorf("service %q has no default region: name one of %s", s.Key, strings.Join(s.RegionIDs(), ", "))
		}
		return Service{}, fmt.Errorf("region %s of service %q not found: use one of %s", quoteShort(region), s.Key, strings.Join(s.RegionIDs(), ", "))
	}

	resolved, missing := expand(&s, s.Regions[i].Vars)
	if len(missing) > 0 {
		return Service{}, fmt.Errorf("region %q of service %q does not define %s: add them to the region's vars", id, s.Key, strings.Join(missing, ", "))
	}
	return resolved, nil
}

// expand returns a deep copy of s without regions, with the placeholders whose
// names vars defines replaced. It leaves the other placeholders in place and
// returns them, sorted and without duplicates.
func expand(s *Service, vars map[string]string) (Service, []string) {
	c := s.Clone()
	c.Regions = nil
	c.DefaultRegion = ""

	var missing []string
	for _, f := range templatedFields(&c) {
		*f.value = placeholderPattern.ReplaceAllStringFunc(*f.value, func(p string) string {
			if v, ok := vars[p[1:len(p)-1]]; ok {
				return v
			}
			missing = append(missing, p)
			return p
		})
	}
	slices.Sort(missing)
	return c, slices.Compact(missing)
}

// checkRegions checks the region list and the placeholders of s. It returns
// the region that the other checks resolve the service with: the default
// region, or the first region when the default is unusable, or a zero Region
// for a service without regions.
func (v *validator) checkRegions(s *Service) Region {
	used := v.checkPlaceholders(s)

	if len(s.Regions) == 0 {
		if s.DefaultRegion != "" {
			v.add("default_region", "%s is set but the service has no regions: remove it, or declare regions", quoteShort(s.DefaultRegion))
		}
		for _, f := range templatedFields(s) {
			if p := placeholderPattern.FindString(*f.value); p != "" {
				v.add(f.name, "contains the placeholder %s but the service has no regions: declare regions that define it, or write the value out", p)
			}
		}
		return Region{}
	}

	seen := make(map[string]bool, len(s.Regions))
	for i, r := range s.Regions {
		field := fmt.Sprintf("regions[%d]", i)
		switch {
		case r.ID == "":
			v.add(field+".id", "is missing: set 1 to 16 characters, a lower-case letter first, then lower-case letters, digits or underscores, such as eu")
		case !regionIDPattern.MatchString(r.ID):
			v.add(field+".id", "%s is invalid: use 1 to 16 characters, a lower-case letter first, then lower-case letters, digits or underscores, such as eu", quoteShort(r.ID))
		case seen[r.ID]:
			v.add(field+".id", "%q is declared twice: give each region a distinct ID", r.ID)
		default:
			seen[r.ID] = true
		}

		if strings.TrimSpace(r.Name) == "" {
			v.add(field+".name", "is missing: set a display name, such as Europe")
		}

		for _, name := range slices.Sorted(maps.Keys(r.Vars)) {
			switch value := r.Vars[name]; {
			case !varNamePattern.MatchString(name):
				v.add(field+".vars", "has the invalid name %s: use a lower-case letter first, then lower-case letters, digits or underscores, such as accounts", quoteShort(name))
			case strings.TrimSpace(value) == "":
				v.add(field+".vars."+name, "is empty: set the value that replaces {%s}, such as a host name", name)
			case strings.ContainsAny(value, "{}"):
				v.add(field+".vars."+name, "%s contains a brace: write the value out, because placeholders do not nest", quoteShort(value))
			}
		}

		for _, name := range used {
			if _, ok := r.Vars[name]; !ok {
				v.add(field+".vars", "does not define %s, which the service's URLs use: add it to region %q", "{"+name+"}", r.ID)
			}
		}
	}

	switch {
	case s.DefaultRegion == "":
		v.add("default_region", "is missing: set one of the region IDs %s", strings.Join(s.RegionIDs(), ", "))
	case !seen[s.DefaultRegion]:
		v.add("default_region", "%s is not a region of this service: use one of %s", quoteShort(s.DefaultRegion), strings.Join(s.RegionIDs(), ", "))
	}

	if i := slices.IndexFunc(s.Regions, func(r Region) bool { return r.ID == s.DefaultRegion }); i >= 0 {
		return s.Regions[i]
	}
	return s.Regions[0]
}

// checkPlaceholders reports malformed placeholders and returns the sorted
// names of the well-formed ones.
func (v *validator) checkPlaceholders(s *Service) []string {
	var names []string
	for _, f := range templatedFields(s) {
		for _, p := range placeholderPattern.FindAllString(*f.value, -1) {
			name := p[1 : len(p)-1]
			if !varNamePattern.MatchString(name) {
				v.add(f.name, "contains the invalid placeholder %s: name it with a lower-case letter first, then lower-case letters, digits or underscores, such as {accounts}", quoteShort(p))
				continue
			}
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// checkRegionURLs runs the URL and host checks on the service resolved for each
// region other than skip, whose URLs the main checks already covered. Each
// message names the region. A field is reported once, for the first region
// where it fails, because the cause is usually the shared template.
func (v *validator) checkRegionURLs(s *Service, skip string) {
	reported := make(map[string]bool)
	for _, r := range s.Regions {
		if r.ID == skip {
			continue
		}
		resolved, _ := expand(s, r.Vars)

		var rv validator
		rv.checkURLFields(&resolved)
		for _, err := range rv.errs {
			fe := err.(*FieldError)
			if reported[fe.Field] {
				continue
			}
			reported[fe.Field] = true
			v.add(fe.Field, "in region %q: %s", r.ID, fe.Message)
		}
	}
}

// checkURLFields runs the checks that depend on the resolved values of the
// templated fields.
func (v *validator) checkURLFields(s *Service) {
	if o := s.OAuth2; o != nil {
		v.checkURL("oauth2.authorization_url", o.AuthorizationURL, false)
		v.checkURL("oauth2.token_url", o.TokenURL, false)
		v.checkURL("oauth2.revocation_url", o.RevocationURL, false)
		v.checkOAuth2Hosts(o)
	}
	v.checkURL("api_base_url", s.APIBaseURL, true)
	v.checkAllowedHosts(s.AllowedHosts)
}
