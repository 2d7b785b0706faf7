package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"strings"
	"testing"

	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
)

func TestOptionsRequest(t *testing.T) {
	req, err := Options{Frame: 1, CmPerPx: 0.01, Muscle: "TA", Side: " Left", Patient: &zscore.Patient{AgeYears: 30, Sex: "f"}}.Request("a.png")
	if err != nil {
		t.Fatal(err)
	}
	if req.Name != "a.png" || req.Frame != 1 || req.User.CmPerPx != 0.01 || req.Muscle != zscore.TibialisAnterior ||
		req.Side != "left" || req.Patient == nil || req.Patient.Sex != "F" || req.Patient.AgeYears != 30 {
		t.Errorf("request %+v, patient %+v", req, req.Patient)
	}
	if req, err := (Options{}).Request("b.png"); err != nil || req.Patient != nil || req.Muscle != "" || req.Side != "" {
		t.Errorf("empty options: %+v %v", req, err)
	}
	for _, c := range []struct {
		o   Options
		msg string
	}{
		{Options{Muscle: "nose"}, "unknown muscle"},
		{Options{Side: "middle"}, "side must be left or right"},
		{Options{Patient: &zscore.Patient{Sex: "X"}}, "sex must be M or F"},
		{Options{CmPerPx: -1}, "positive"},
		{Options{Frame: -1}, "frame"},
	} {
		if _, err := c.o.Request("c.png"); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.msg)
		}
	}
}

func TestOutputFiles(t *testing.T) {
	data, truth := synthetic(t)
	res, err := segmenter(t, truth).Run(context.Background(), Request{Name: "s.png", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if o := OutputsFor("out", "a/b", true); o.Mask != "out/masks/a/b.mask.png" || o.Overlay != "out/overlays/a/b.overlay.png" || o.Record != "out/records/a/b.json" {
		t.Errorf("sorted outputs %+v", o)
	}
	o := OutputsFor("", "s", false)
	files, err := res.Files(o, res.Record)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 || files[0].Name != "s.mask.png" || files[1].Name != "s.overlay.png" || files[2].Name != "s.json" {
		t.Fatalf("files %v", o.List())
	}
	m, err := png.Decode(bytes.NewReader(files[0].Data))
	if err != nil || m.Bounds() != truth.Bounds() {
		t.Fatalf("mask PNG: %v", err)
	}
	var rec record.Record
	if err := json.Unmarshal(files[2].Data, &rec); err != nil || rec.CSAPx != res.Record.CSAPx || rec.CSAPx == 0 {
		t.Errorf("record file: %+v %v", rec, err)
	}
	// Without an overlay name: two files, the record still last.
	o.Overlay = ""
	if files, err := res.Files(o, res.Record); err != nil || len(files) != 2 || files[1].Name != "s.json" {
		t.Errorf("without overlay: %d files, %v", len(files), err)
	}
}
