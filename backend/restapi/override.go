package restapi

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/streamops/streamops/backend/kube"
)

// Override gives a target a direct URL instead of the service proxy.
type Override struct {
	Target Target
	// URL is the API's root: http(s)://host:port[/prefix]. User information
	// is sent as basic authentication; it is never shown.
	URL string
	// Token, when set, is sent as "Authorization: Bearer"; TokenFile is
	// where it was read from.
	Token     string
	TokenFile string
}

// String shows the override without secrets.
func (o Override) String() string {
	s := o.Target.String() + "=" + kube.RedactURL(o.URL)
	if o.Token != "" {
		s += " (bearer token from " + o.TokenFile + ")"
	}
	return s
}

// ParseOverride reads the flag syntax API:NAMESPACE/NAME=URL, e.g.
// "flink:iot-analytics/sensor-aggregation=https://flink.example.com".
func ParseOverride(s string) (Override, error) {
	key, rawURL, ok := strings.Cut(s, "=")
	if !ok || rawURL == "" {
		return Override{}, errors.New("endpoint override: want API:NAMESPACE/NAME=URL, e.g. flink:team-a/orders=http://localhost:8081")
	}
	t, err := parseTarget(key)
	if err != nil {
		return Override{}, fmt.Errorf("endpoint override %s: %w", key, err)
	}
	o := Override{Target: t, URL: strings.TrimSpace(rawURL)}
	if err := o.check(); err != nil {
		return Override{}, err
	}
	return o, nil
}

func parseTarget(key string) (Target, error) {
	apiName, rest, ok := strings.Cut(key, ":")
	if !ok {
		return Target{}, errors.New("want API:NAMESPACE/NAME")
	}
	api, err := ParseAPI(apiName)
	if err != nil {
		return Target{}, err
	}
	ns, name, ok := strings.Cut(rest, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return Target{}, errors.New("want API:NAMESPACE/NAME")
	}
	return Target{API: api, Namespace: ns, Name: name}, nil
}

func (o Override) check() error {
	if _, err := NewDirectGetter(o.URL, "", 0, nil); err != nil {
		return fmt.Errorf("endpoint override %s: %w", o.Target, err)
	}
	return nil
}

// File is the endpoints config file:
//
//	endpoints:
//	- api: flink
//	  namespace: iot-analytics
//	  name: sensor-aggregation
//	  url: https://flink.example.com/sensor
//	  tokenFile: ~/.config/streamops/flink-token   # optional bearer token
type File struct {
	Endpoints []struct {
		API       string `json:"api"`
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
		URL       string `json:"url"`
		TokenFile string `json:"tokenFile,omitempty"`
	} `json:"endpoints"`
}

// LoadOverrides reads an endpoints config file. Token files are read here;
// their content is kept only in the returned overrides.
func LoadOverrides(path string) ([]Override, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("endpoints file: %w", err)
	}
	var f File
	if err := yaml.UnmarshalStrict(raw, &f); err != nil {
		// The YAML error may quote a line of the file, which may hold a URL
		// with a password: say where, not what.
		return nil, fmt.Errorf("endpoints file %s: not valid (%s)", path, (&Redactor{}).String(oneLine(err.Error())))
	}
	var out []Override
	for i, e := range f.Endpoints {
		t, err := parseTarget(e.API + ":" + e.Namespace + "/" + e.Name)
		if err != nil {
			return nil, fmt.Errorf("endpoints file %s, entry %d: %w", path, i+1, err)
		}
		o := Override{Target: t, URL: strings.TrimSpace(e.URL), TokenFile: e.TokenFile}
		if err := o.check(); err != nil {
			return nil, fmt.Errorf("endpoints file %s, entry %d: %w", path, i+1, err)
		}
		if e.TokenFile != "" {
			tf := e.TokenFile
			if rest, ok := strings.CutPrefix(tf, "~/"); ok {
				if home, err := os.UserHomeDir(); err == nil {
					tf = home + "/" + rest
				}
			}
			tok, err := os.ReadFile(tf)
			if err != nil {
				return nil, fmt.Errorf("endpoints file %s, entry %d: token file: %w", path, i+1, err)
			}
			o.Token = strings.TrimSpace(string(tok))
		}
		out = append(out, o)
	}
	return out, nil
}
