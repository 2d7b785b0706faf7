package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"myoseg/core/nn/onnxpb"
	"myoseg/models"
)

func adaptedFile(t *testing.T, dir, name string) string {
	t.Helper()
	_, base := models.Default()
	b, err := onnxpb.Rewrite(base, onnxpb.Edit{Metadata: map[string]string{"myoseg.name": name, "myoseg.parent": models.DefaultName}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "file-"+strings.NewReplacer("/", "_", ".", "_").Replace(name)+".onnx")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestServeOtherModels(t *testing.T) {
	dir := t.TempDir()
	a := adaptedFile(t, dir, "clinic-a")
	if err := os.WriteFile(strings.TrimSuffix(a, ".onnx")+".md", []byte("# clinic-a card"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := adaptedFile(t, dir, "clinic-b")
	others, err := readModelFiles([]string{a, b}, testModel.Name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSite(testWeb(t, []byte("wasm")), testModel, others...)
	if err != nil {
		t.Fatal(err)
	}
	var idx modelIndex
	if err := json.Unmarshal(s.assets["/models/index.json"].body, &idx); err != nil {
		t.Fatal(err)
	}
	if idx.Name != testModel.Name || len(idx.Models) != 3 || idx.Models[1].Name != "clinic-a" || idx.Models[2].Name != "clinic-b" {
		t.Fatalf("index: %+v", idx)
	}
	if idx.Models[1].Card != "models/clinic-a.md" || idx.Models[2].Card != "" {
		t.Errorf("cards: %q, %q", idx.Models[1].Card, idx.Models[2].Card)
	}
	if got := s.assets["/models/clinic-a.onnx"]; got == nil || len(got.body) != idx.Models[1].Size {
		t.Errorf("clinic-a.onnx not served whole")
	}
	if got := s.assets["/models/clinic-a.md"]; got == nil || string(got.body) != "# clinic-a card" {
		t.Errorf("clinic-a card not served")
	}
	// Without --model the index stays as the page has always read it.
	plain, _ := newSite(testWeb(t, []byte("wasm")), testModel)
	if strings.Contains(string(plain.assets["/models/index.json"].body), `"models":`) {
		t.Errorf("index without others lists models: %s", plain.assets["/models/index.json"].body)
	}
}

func TestServeModelRefusals(t *testing.T) {
	dir := t.TempDir()
	notONNX := filepath.Join(dir, "x.onnx")
	os.WriteFile(notONNX, []byte("not a model"), 0o644)
	a := adaptedFile(t, dir, "same")
	b := filepath.Join(dir, "copy.onnx")
	data, _ := os.ReadFile(a)
	os.WriteFile(b, data, 0o644)
	bad := adaptedFile(t, dir, "../escape")
	for _, tc := range []struct {
		paths []string
		msg   string
	}{
		{[]string{notONNX}, "x.onnx"},
		{[]string{a, b}, `name "same" is also`},
		{[]string{bad}, "becomes the model's URL"},
		{[]string{adaptedFile(t, dir, models.DefaultName)}, "the default model"},
		{[]string{filepath.Join(dir, "missing.onnx")}, "no such file"},
	} {
		if _, err := readModelFiles(tc.paths, models.DefaultName); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v: %v, want %q", tc.paths, err, tc.msg)
		}
	}
}
