package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"myoseg/core/clinical/zscore"
	"myoseg/core/study/phantom"
)

// The experiment: a clinic's model trained on one scanner (model v1, the
// version 1 phantoms) meets a second scanner (phantom.Styles "b": darker,
// more contrasted, coarse speckle, a noise floor), on which it scores Dice
// about 0.5. The shipped model (v4) is not the subject: trained with
// scanner augmentation it already scores 0.98 on style b (docs/adapt.md),
// so there is nothing for it to adapt to.
const (
	shiftStyle = "b"
	shiftModel = "../models/myoseg-unet-phantom-v1.onnx"
)

// TestAdaptDomainShift is issue 13's experiment, done as a clinician would
// in the browser: images from a "scanner" the model never saw are
// segmented, a person outlines the muscle on 16 of them (the outline tool,
// clicks on the true contour), "Adapt model" fine-tunes the model in the
// page's trainer worker, the adapted model is adopted, and 8 images of
// other patients are segmented again. It asserts the held-out Dice rose,
// the independent Dice reached 0.90 and rose by at least 0.10, and the
// trainer stayed under 1 GB; it logs the wall time. Minutes long, so it runs when asked:
//
//	make adapt-e2e     (MYOSEG_E2E=1 MYOSEG_ADAPT_E2E=1 go test -run AdaptDomainShift -v ./e2e/)
func TestAdaptDomainShift(t *testing.T) {
	needE2E(t)
	if os.Getenv("MYOSEG_ADAPT_E2E") == "" {
		t.Skip("minutes long: set MYOSEG_ADAPT_E2E=1 (make adapt-e2e)")
	}
	srv := startServer(t)
	ctx := newBrowser(t, 1366, 900)
	dir := t.TempDir()
	adapt, test := shiftPhantoms(t, dir, 16, 8)

	var all []string
	for _, f := range append(append([]phantomFile{}, adapt...), test...) {
		all = append(all, f.name)
	}
	var base, corrected float64
	step(t, "segment with the clinic's model", func(t *testing.T) {
		run(t, ctx, 60*time.Second, chromedp.Navigate(srv.URL))
		waitFor(t, ctx, segmentTimeout, `document.body.dataset.model && document.querySelector('#adapt-btn') !== null`)
		useModelFile(t, ctx, shiftModel)
		var paths []string
		for _, f := range append(append([]phantomFile{}, adapt...), test...) {
			paths = append(paths, f.path)
		}
		upload(t, ctx, paths...)
		waitDone(t, ctx, segmentTimeout, all...)
		// As a clinic would: the patients from a table, then each
		// patient's images ticked and given their muscle and patient.
		run(t, ctx, 30*time.Second, chromedp.SetUploadFiles(chromedp.CSS("#patient-table"), []string{patientTable(t, dir, append(append([]phantomFile{}, adapt...), test...))}))
		bySubject := map[string][]phantomFile{}
		var order []string
		for _, f := range append(append([]phantomFile{}, adapt...), test...) {
			id := f.s.Subject.ID
			if bySubject[id] == nil {
				order = append(order, id)
			}
			bySubject[id] = append(bySubject[id], f)
		}
		waitFor(t, ctx, 20*time.Second, fmt.Sprintf(`document.querySelectorAll('#patient-list li').length === %d`, len(order)))
		for _, id := range order {
			for i, f := range bySubject[id] {
				tick(t, ctx, f.name, map[bool]string{true: "", false: "ctrl"}[i == 0])
			}
			bulk(t, ctx, map[string]string{"#b-muscle": muscleName(t, bySubject[id][0].s.Muscle), "#b-patient": id})
		}
		base = meanDice(t, ctx, test)
		t.Logf("model %s on %d style-%s phantoms of other patients: Dice %.4f (on the %d to correct: %.4f)",
			eval[string](t, ctx, `document.body.dataset.model`), len(test), shiftStyle, base, len(adapt), meanDice(t, ctx, adapt))
	})

	step(t, "outline 16 images", func(t *testing.T) {
		start := time.Now()
		var sum float64
		for _, f := range adapt {
			selectRow(t, ctx, f.name)
			waitIdle(t, ctx)
			setSnap(t, ctx, false)
			m, _ := outline(t, ctx, clicksOn(t, f.s.Mask, 20))
			sum += diceBytes(m, f.s.Mask)
		}
		corrected = sum / float64(len(adapt))
		t.Logf("%d images outlined with 20 clicks each in %.0f s (scripted): Dice to the truth %.4f", len(adapt), time.Since(start).Seconds(), corrected)
		if corrected < 0.95 {
			t.Fatalf("the outlines' Dice is %.4f: the corrections themselves are off", corrected)
		}
	})

	var note string
	var heldBefore, heldAfter float64
	step(t, "adapt", func(t *testing.T) {
		model := eval[string](t, ctx, `document.body.dataset.model`)
		start := time.Now()
		run(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS("#adapt-btn")))
		waitFor(t, ctx, 30*time.Second, `document.querySelector('#adapt-btn').textContent.startsWith('Cancel')`)
		memRe := regexp.MustCompile(`worker memory (\d+) MB`)
		peak := 0
		for {
			note = eval[string](t, ctx, `document.querySelector('#adapt-note').textContent`)
			if m := memRe.FindStringSubmatch(note); m != nil {
				v, _ := strconv.Atoi(m[1])
				peak = max(peak, v)
			}
			if !eval[bool](t, ctx, `document.querySelector('#adapt-btn').textContent.startsWith('Cancel')`) {
				break
			}
			if time.Since(start) > 30*time.Minute {
				t.Fatalf("still adapting after %v: %s", time.Since(start), note)
			}
			time.Sleep(time.Second)
		}
		wall := time.Since(start)
		screenshot(t, ctx, "adapt-shift-done")
		t.Logf("adapted in %.0f s wall (page: %s); trainer memory peak %d MB", wall.Seconds(), note, peak)
		if strings.Contains(note, "did no better") {
			t.Fatalf("the page refused the adapted model, its held-out Dice did not rise (base %.4f on the independent images): %s", base, note)
		}
		before, after, ok := heldOut(note)
		if !ok {
			t.Fatalf("no held-out Dice in the note %q", note)
		}
		// The page offers a model only when its held-out Dice rose; how much
		// depends on which patients the split held out (here a few images),
		// so the target (≥ 0.90, +0.10) is judged on the independent
		// images below.
		if after <= before {
			t.Errorf("held-out Dice %.3f → %.3f, and the page still offered the model", before, after)
		}
		heldBefore, heldAfter = before, after
		if peak > 1024 {
			t.Errorf("the trainer's memory reached %d MB, want ≤ 1 GB", peak)
		}
		if got := eval[string](t, ctx, `document.body.dataset.model`); got != model {
			t.Errorf("the model changed to %q before it was adopted", got)
		}
	})

	step(t, "adopt and segment other patients", func(t *testing.T) {
		clickButton(t, ctx, "#adapt-note button", "Adopt ")
		waitFor(t, ctx, 2*time.Minute, `document.body.dataset.model.includes('adapted')`)
		// The same pixels under new names: results already made keep the
		// model that made them, new ones use the adopted model.
		var again []phantomFile
		var names []string
		for _, f := range test {
			g := f
			g.name = "A" + f.name
			g.path = filepath.Join(dir, g.name)
			copyFile(t, f.path, g.path)
			again = append(again, g)
			names = append(names, g.name)
		}
		for _, f := range again {
			upload(t, ctx, f.path)
		}
		waitDone(t, ctx, segmentTimeout, names...)
		d := meanDice(t, ctx, again)
		t.Logf("adopted %s: Dice on the %d test images %.4f → %.4f", eval[string](t, ctx, `document.body.dataset.model`), len(again), base, d)
		t.Logf("summary: base %.4f on the independent images; held-out %.3f → %.3f; independent %.4f → %.4f", base, heldBefore, heldAfter, base, d)
		if d < base+0.10 || d < 0.90 {
			t.Errorf("independent Dice %.4f → %.4f: want ≥ 0.90 and at least +0.10", base, d)
		}
		screenshot(t, ctx, "adapt-shift-adopted")
	})
}

// shiftMuscles are the seed paper's three muscles: a clinic adapts on the
// muscles it scans, and the independent images are of the same muscles (a
// few images cannot teach, and may make the model forget, muscles they do
// not show).
var shiftMuscles = map[string]bool{"BB": true, "TA": true, "GM": true}

// shiftPhantoms writes version 1 phantoms of shiftMuscles in shiftStyle: at least nAdapt
// images of whole patients to correct, then nTest of other patients.
func shiftPhantoms(t *testing.T, dir string, nAdapt, nTest int) (adapt, test []phantomFile) {
	t.Helper()
	cfg := phantom.Config{Seed: 4242, N: 1000, PathologicalFraction: 0.5, Version: phantom.V1, Style: shiftStyle}
	for i := 0; len(test) < nTest; i++ {
		s, err := phantom.Generate(cfg, i)
		if err != nil {
			t.Fatal(err)
		}
		if !shiftMuscles[s.Muscle] {
			continue
		}
		f := phantomFile{path: filepath.Join(dir, s.FileName()), name: s.FileName(), s: s}
		writePNG(t, f.path, s.Image)
		if len(adapt) < nAdapt || adapt[len(adapt)-1].s.Subject.ID == s.Subject.ID {
			adapt = append(adapt, f)
		} else {
			test = append(test, f)
		}
	}
	return adapt, test
}

// meanDice is the mean Dice of the page's masks to the phantoms' truth.
func meanDice(t *testing.T, ctx context.Context, fs []phantomFile) float64 {
	t.Helper()
	var sum float64
	for _, f := range fs {
		selectRow(t, ctx, f.name)
		waitIdle(t, ctx)
		sum += diceBytes(shownMask(t, ctx), f.s.Mask)
	}
	return sum / float64(len(fs))
}

var heldOutRe = regexp.MustCompile(`held-out Dice ([0-9.]+) → ([0-9.]+)`)

// heldOut reads "held-out Dice B → A" from the adaptation's final note.
func heldOut(note string) (before, after float64, ok bool) {
	m := heldOutRe.FindStringSubmatch(note)
	if m == nil {
		return 0, 0, false
	}
	b, err1 := strconv.ParseFloat(m[1], 64)
	a, err2 := strconv.ParseFloat(m[2], 64)
	return b, a, err1 == nil && err2 == nil
}

// clickButton clicks the first element matching sel whose text starts
// with prefix.
func clickButton(t *testing.T, ctx context.Context, sel, prefix string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const b = [...document.querySelectorAll(%q)].find((e) => e.textContent.startsWith(%q)); if (!b) return false; b.click(); return true; })()`, sel, prefix)
	if !eval[bool](t, ctx, js) {
		t.Fatalf("no %s starting with %q", sel, prefix)
	}
}

// patientTable writes the phantoms' subjects as a patient table.
func patientTable(t *testing.T, dir string, fs []phantomFile) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("ID,age,sex,height,weight\n")
	seen := map[string]bool{}
	for _, f := range fs {
		sj := f.s.Subject
		if !seen[sj.ID] {
			seen[sj.ID] = true
			fmt.Fprintf(&b, "%s,%d,%s,%d,%.1f\n", sj.ID, sj.Age, sj.Sex, sj.HeightCm, sj.WeightKg)
		}
	}
	p := filepath.Join(dir, "patients.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// muscleName is the page's muscle value for a phantom's muscle code.
func muscleName(t *testing.T, code string) string {
	t.Helper()
	for _, m := range []zscore.Muscle{zscore.BicepsBrachii, zscore.TibialisAnterior, zscore.GastrocnemiusMedialis, zscore.RectusFemoris, zscore.VastusLateralis} {
		if m.Code() == code {
			return string(m)
		}
	}
	t.Fatalf("no muscle has the code %q", code)
	return ""
}
