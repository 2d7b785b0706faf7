package check

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"myoseg/core/nn/engine"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/pipeline"
	"myoseg/core/study/phantom"
	"myoseg/models"
	"myoseg/wasm/session"
	"myoseg/wasm/session/sessiontest"
)

// store is a session as the page's core leaves it: the shipped model and
// one phantom's file under id "i1".
func store(t *testing.T) (*session.Store, string, string) {
	t.Helper()
	st, _ := sessiontest.New(t)
	name, data := models.Default()
	if err := st.SaveModel(name, data); err != nil {
		t.Fatal(err)
	}
	s, err := phantom.Generate(phantom.Config{Seed: 11, N: 2}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, s.Image); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveSource("i1", buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	return st, name, s.FileName()
}

// TestRun: the two engines make the same mask of a phantom, so area and EI
// agree too; the page's mask, when sent, is compared with the reference's;
// a second check reuses the engines.
func TestRun(t *testing.T) {
	st, model, file := store(t)
	var c Checker
	var stages []string
	sum := sha256.Sum256(mustModel(t))
	req := Request{ID: "i1", Name: file, ModelName: model, ModelSHA256: hex.EncodeToString(sum[:]), Options: session.Options{CmPerPx: 0.01}}
	rep, err := c.Run(context.Background(), st, req, func(s string) { stages = append(stages, s) })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(stages, ",") != "ours,reference" {
		t.Errorf("stages %v", stages)
	}
	if rep.Masks.Differ != 0 || rep.Masks.Dice != 1 {
		t.Errorf("masks differ: %+v (max probability difference %.2g)", rep.Masks, rep.MaxProbDiff)
	}
	if rep.MaxProbDiff > 1e-4 {
		t.Errorf("probabilities differ by up to %.2g, want ≤ 1e-4 (models/parity_test.go)", rep.MaxProbDiff)
	}
	o, r := rep.Ours, rep.Reference
	if o.CSAPx == 0 || o.CSAPx != r.CSAPx || o.EIMean != r.EIMean || o.CSACm2 == nil || r.CSACm2 == nil || *o.CSACm2 != *r.CSACm2 {
		t.Errorf("measurements differ: ours %+v, reference %+v", o, r)
	}
	if o.Engine != "fast" || r.Engine != "gorgonnx" || r.LoadMs <= 0 || r.InferMs <= 0 || r.TotalMs < r.InferMs {
		t.Errorf("engines: ours %+v, reference %+v", o, r)
	}
	if rep.Page != nil || rep.Width == 0 || rep.Model != model {
		t.Errorf("report %+v", rep)
	}
	t.Logf("%s: %d px, EI %.1f; ours %.0f ms (infer %.0f), reference %.0f ms (infer %.0f, graph %.0f); max |Δp| %.2g",
		file, o.CSAPx, o.EIMean, o.TotalMs, o.InferMs, r.TotalMs, r.InferMs, r.LoadMs, rep.MaxProbDiff)

	// The page's mask (our engine's, made as the page's core makes it) with
	// 3 pixels flipped: the check counts them against the reference's.
	m, err := onnxmodel.Parse(model+".onnx", mustModel(t))
	if err != nil {
		t.Fatal(err)
	}
	fast, err := engine.NewFast(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	preq, err := request(req)
	if err != nil {
		t.Fatal(err)
	}
	if preq.Data, err = st.Source("i1"); err != nil {
		t.Fatal(err)
	}
	mine, err := pipeline.New(m, fast).Run(context.Background(), preq)
	if err != nil {
		t.Fatal(err)
	}
	page := bytes.Clone(mine.Mask.Pix)
	for _, i := range []int{0, len(page) / 2, len(page) - 1} {
		page[i] ^= 255
	}
	req.PageMask = page
	req.ModelName, req.ModelSHA256 = "", "" // the page could not read the model index: the one stored
	res, err := c.Run(context.Background(), st, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Model != model {
		t.Errorf("without a model name the check ran %q, want the stored %q", res.Model, model)
	}
	if res.Page == nil || res.Page.Differ != 3 || res.PageNote != "" {
		t.Errorf("the page's mask with 3 pixels flipped: page %+v, note %q", res.Page, res.PageNote)
	}
	if res.Reference.LoadMs != 0 || res.Ours.LoadMs != 0 {
		t.Errorf("the second check built the engines again (%.0f, %.0f ms)", res.Ours.LoadMs, res.Reference.LoadMs)
	}
	if a, note := comparePage([]byte{1}, mine.Mask); a != nil || !strings.Contains(note, "not compared") {
		t.Errorf("a page mask of the wrong size: %+v, note %q", a, note)
	}
}

func mustModel(t *testing.T) []byte {
	t.Helper()
	_, data := models.Default()
	return data
}

func TestCompare(t *testing.T) {
	a := image.NewGray(image.Rect(0, 0, 4, 3))
	b := image.NewGray(image.Rect(0, 0, 4, 3))
	if got := Compare(a, b); got != (Agreement{Differ: 0, Dice: 1}) {
		t.Errorf("two empty masks: %+v", got)
	}
	for i := 0; i < 6; i++ {
		a.Pix[i] = 255
		b.Pix[i+2] = 1 // any non-zero value is muscle
	}
	// |A| = |B| = 6, overlap 4: Dice 8/12; pixels 0, 1, 6, 7 differ.
	if got := Compare(a, b); got.Differ != 4 || got.Dice != 8.0/12 {
		t.Errorf("Compare = %+v, want 4 differing, Dice 0.667", got)
	}
	// A sub-image (stride wider than the width) is read row by row: its
	// rows are a[1:3] = 255 255 and a[5:7] = 255 0.
	sub := a.SubImage(image.Rect(1, 0, 3, 2)).(*image.Gray)
	flat := &image.Gray{Pix: []byte{255, 255, 0, 0}, Stride: 2, Rect: image.Rect(0, 0, 2, 2)}
	if got := Compare(sub, flat); got.Differ != 1 {
		t.Errorf("sub-image: %+v, want 1 differing", got)
	}
}

// TestRefusals: every failure before the engines run says what is missing.
func TestRefusals(t *testing.T) {
	st, model, file := store(t)
	var c Checker
	ctx := context.Background()
	_, data := models.Default()
	for _, tc := range []struct {
		name  string
		st    Store
		req   Request
		want  string
		noMod bool
	}{
		{"no storage", nil, Request{ID: "i1", Name: file, ModelName: model}, "storage cannot be read", false},
		{"model not stored", st, Request{ID: "i1", Name: file, ModelName: "other-model"}, "not stored", true},
		{"stored model outdated", st, Request{ID: "i1", Name: file, ModelName: model, ModelSHA256: strings.Repeat("0", 64)}, "another version", true},
		{"sent model corrupt", st, Request{ID: "i1", Name: file, ModelName: model, ModelSHA256: strings.Repeat("0", 64), Model: data}, "want 0000", false},
		{"no source", st, Request{ID: "i2", Name: "gone.png", ModelName: model}, "gone.png: the image's file is not in this browser's storage", false},
		{"bad options", st, Request{ID: "i1", Name: file, ModelName: model, Options: session.Options{Side: "up"}}, "side must be left or right", false},
	} {
		_, err := c.Run(ctx, tc.st, tc.req, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrNoModel) != tc.noMod {
			t.Errorf("%s: error %v, want %q (ErrNoModel: %v)", tc.name, err, tc.want, tc.noMod)
		}
	}
}
