package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"myoseg/core/nn/onnxmodel"
)

// modelPaths is serve's repeatable --model flag.
type modelPaths []string

func (m *modelPaths) String() string { return strings.Join(*m, ",") }
func (m *modelPaths) Set(v string) error {
	*m = append(*m, v)
	return nil
}

// safeModelName is what a served model's name may be: it becomes a URL.
var safeModelName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// readModelFiles reads the models given with --model: each must pass the
// validator (an adapted model exported from the page does); its name is
// its metadata's myoseg.name, and FILE.md beside it, when present, is its
// card. Two models of one name, or a name that is not URL-safe, are refused.
func readModelFiles(paths []string, taken ...string) ([]modelFile, error) {
	seen := map[string]string{}
	for _, n := range taken {
		seen[n] = "the default model"
	}
	var out []modelFile
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("--model: %w", err)
		}
		m, err := onnxmodel.Parse(p, data)
		if err != nil {
			return nil, fmt.Errorf("--model %s: %w", p, err)
		}
		name := m.Info.Name
		if name == "" {
			name = strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		}
		if !safeModelName.MatchString(name) {
			return nil, fmt.Errorf("--model %s: name %q: use letters, digits, '.', '_' and '-' (it becomes the model's URL)", p, name)
		}
		if prev, ok := seen[name]; ok {
			return nil, fmt.Errorf("--model %s: name %q is also %s", p, name, prev)
		}
		seen[name] = p
		mf := modelFile{Name: name, Data: data}
		if card, err := os.ReadFile(strings.TrimSuffix(p, filepath.Ext(p)) + ".md"); err == nil {
			mf.CardName, mf.Card = name+".md", card
		}
		out = append(out, mf)
	}
	return out, nil
}
