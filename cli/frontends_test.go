package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"myoseg/core/clinical/record"
	"myoseg/core/study/phantom"
	"myoseg/models"
	"myoseg/wasm/app"
	"myoseg/wasm/session"
	"myoseg/wasm/session/sessiontest"
)

// The command line and the browser worker give the same results CSV, byte
// for byte, and the same patient-level reading for the same images, options
// and patient: both go through pipeline.Options, record.WriteCSV and
// zscore.ReadPatients.
func TestSegmentMatchesBrowserApp(t *testing.T) {
	dir := t.TempDir()
	muscles := []string{"BB", "TA", "GM"}
	var files []string
	var data [][]byte
	for i := range muscles {
		s, err := phantom.Generate(phantom.Config{Seed: 3, N: len(muscles)}, i)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "img"+string(rune('a'+i))+".png")
		writePNG(t, p, s.Image)
		files = append(files, p)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, b)
	}
	flags := []string{"--cm-per-px", "0.01", "--side", "Left", "--muscle", strings.Join(muscles, ","),
		"--age", "40", "--sex", "f", "--height", "170", "--weight", "65", "--patient-id", "p1"}

	var cliCSV, stderr bytes.Buffer
	if code := run("segment", append(append([]string{"--csv"}, flags...), files...), &cliCSV, &stderr); code != 0 {
		t.Fatalf("segment --csv: exit %d\n%s", code, stderr.String())
	}
	var table bytes.Buffer
	stderr.Reset()
	if code := run("segment", append(flags, files...), &table, &stderr); code != 0 {
		t.Fatalf("segment: exit %d\n%s", code, stderr.String())
	}

	// The browser worker, with the options and patient the page would send.
	st, _ := sessiontest.New(t)
	a := app.New(st)
	name, model := models.Default()
	if _, err := a.LoadModel(context.Background(), name, "", func(context.Context) ([]byte, error) { return model, nil }); err != nil {
		t.Fatal(err)
	}
	patient := &session.Patient{ID: "p1", AgeYears: 40, Sex: "f", HeightCm: 170, WeightKg: 65}
	var recs []record.Record
	scores := app.PatientScores{AgeYears: patient.AgeYears}
	for i, f := range files {
		job := app.Job{ID: string(rune('a' + i)), Name: filepath.Base(f), Order: int64(i),
			Options: session.Options{CmPerPx: 0.01, Side: "Left", Muscle: muscles[i], PatientID: patient.ID}, Patient: patient}
		out, err := a.Run(context.Background(), job, data[i], nil)
		if err != nil || out.Item.Status != "done" {
			t.Fatalf("app: %s: %v %s", job.Name, err, out.Item.Error)
		}
		var r record.Record
		if err := json.Unmarshal(out.Item.Record, &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
		if r.Z == nil {
			t.Fatalf("%s: no z-score (%s)", r.File, r.ZNote)
		}
		scores.Scores = append(scores.Scores, app.MuscleZ{Muscle: r.Muscle, Z: *r.Z, ResearchOnly: r.ResearchOnly()})
	}
	appCSV, err := app.CSV(recs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(appCSV, cliCSV.Bytes()) {
		t.Errorf("CSV differs:\ncommand line:\n%s\nbrowser app:\n%s", cliCSV.String(), appCSV)
	}
	if n := strings.Count(string(appCSV), "\n"); n != 4 {
		t.Errorf("CSV has %d lines, want a header and 3 rows", n)
	}

	readings := app.Readings([]app.PatientScores{scores})
	if len(readings) != 1 || readings[0].Muscles != 3 {
		t.Fatalf("app readings %+v", readings)
	}
	if want := "patient-level reading: " + readings[0].String() + "\n"; !strings.Contains(table.String(), want) {
		t.Errorf("segment's table lacks %q:\n%s", want, table.String())
	}
	// With --csv the reading goes to stderr, so stdout stays one CSV.
	if strings.Contains(cliCSV.String(), "reading") {
		t.Errorf("reading in the CSV output")
	}
}
