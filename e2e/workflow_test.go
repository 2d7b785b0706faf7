package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"myoseg/core/clinical/sr/srtest"
	"myoseg/core/imaging/decode"
	"myoseg/core/study/phantom"
)

// tick clicks a row's file cell as a person does, with shift or ctrl held
// for a range or a toggle (a plain click ticks that row alone).
func tick(t *testing.T, ctx context.Context, file string, mod string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const td = document.querySelector('#results tr[data-file=%q] td.file');
	  td.dispatchEvent(new MouseEvent('click', {bubbles: true, shiftKey: %t, ctrlKey: %t})); return true; })()`, file, mod == "shift", mod == "ctrl")
	eval[bool](t, ctx, js)
}

// bulk sets the bulk bar's fields (id → value) and applies them to the
// ticked rows, waiting until every change is measured.
func bulk(t *testing.T, ctx context.Context, fields map[string]string) string {
	t.Helper()
	var sets []string
	for id, v := range fields {
		sets = append(sets, fmt.Sprintf(`document.querySelector(%q).value = %q;`, id, v))
	}
	clear := `for (const id of ['#b-muscle','#b-side','#b-patient','#b-cmpx','#b-depth','#b-exam','#b-operator','#b-scanner','#b-preset']) document.querySelector(id).value = '';`
	eval[bool](t, ctx, fmt.Sprintf(`(() => { %s %s document.querySelector('#bulk-note').textContent = ''; document.querySelector('#b-apply').click(); return true; })()`, clear, strings.Join(sets, " ")))
	waitFor(t, ctx, 60*time.Second, `document.querySelector('#bulk-note').textContent !== '' && !document.querySelector('#results').dataset.saving`)
	return eval[string](t, ctx, `document.querySelector('#bulk-note').textContent`)
}

// TestWorkflow is a clinician's exam on a laptop screen (1366×657): a
// patient table, six images (two DICOM), calibration from a CSV, muscle,
// side and exam set for many rows at once, a two-visit patient report
// printed to PDF, the CSV's new columns, the training ZIP's group question
// and the DICOM Structured Report.
func TestWorkflow(t *testing.T) {
	needE2E(t)
	srv := startServer(t)
	ctx := newBrowser(t, 1366, 657)
	dir := t.TempDir()

	// Four phantom PNGs and two DICOM images of patient P1 (study date
	// 2026-03-01: the first visit's date comes from the files).
	var png []string
	var grays []*image.Gray
	for i := 0; i < 6; i++ {
		s, err := phantom.Generate(phantom.Config{Seed: 5, N: 6}, i)
		if err != nil {
			t.Fatal(err)
		}
		grays = append(grays, s.Image)
		if i < 4 {
			p := filepath.Join(dir, fmt.Sprintf("p%d.png", i))
			writePNG(t, p, s.Image)
			png = append(png, p)
		}
	}
	var dcm []string
	for i := 0; i < 2; i++ {
		p := filepath.Join(dir, fmt.Sprintf("d%d.dcm", i))
		data := srtest.DICOM(grays[4+i], decode.Identity{SOPInstanceUID: fmt.Sprintf("1.2.826.0.1.3680043.9.7.16.%d", i+1),
			StudyInstanceUID: "1.2.826.0.1.3680043.9.7.16", SeriesInstanceUID: "1.2.826.0.1.3680043.9.7.16.100", PatientID: "P1", StudyDate: "20260301"})
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		dcm = append(dcm, p)
	}
	patients := filepath.Join(dir, "characteristics.csv")
	os.WriteFile(patients, []byte("ID,age,sex,height,weight\nP1,44,F,168,61\nP2,70,M,180,85\n"), 0o644)
	badCalib := filepath.Join(dir, "bad-spacing.csv")
	os.WriteFile(badCalib, []byte("file,cm_per_pixel_x,cm_per_pixel_y\np0.png,0.01,0.01\nghost.png,0.01,0.01\np1.png,abc,\np0.png,0.01,0.01\n"), 0o644)
	goodCalib := filepath.Join(dir, "spacing.csv")
	os.WriteFile(goodCalib, []byte("file,cm_per_pixel_x,cm_per_pixel_y\np0.png,0.011,0.011\np1.png,0.012,0.012\np2.png,0.011,0.011\np3.png,0.0105,0.0105\nd0.dcm,0.01,0.01\nd1.dcm,0.01,0.01\n"), 0o644)

	step(t, "load and patients", func(t *testing.T) {
		run(t, ctx, 60*time.Second, chromedp.Navigate(srv.URL))
		waitFor(t, ctx, segmentTimeout, `document.body.dataset.model || document.body.dataset.modelError`)
		run(t, ctx, 30*time.Second, chromedp.SetUploadFiles(chromedp.CSS("#patient-table"), []string{patients}))
		waitFor(t, ctx, 20*time.Second, `document.querySelectorAll('#patient-list li').length === 2`)
		upload(t, ctx, append(png, dcm...)...)
		waitDone(t, ctx, segmentTimeout, "p0.png", "p1.png", "p2.png", "p3.png", "d0.dcm", "d1.dcm")
		for _, f := range []string{"p0.png", "d0.dcm"} {
			if r := rowOf(t, ctx, f); r.Status != "done" {
				t.Fatalf("%s: %s", f, r.Text)
			}
		}
	})

	step(t, "calibration CSV", func(t *testing.T) {
		run(t, ctx, 30*time.Second, chromedp.SetUploadFiles(chromedp.CSS("#calib-table"), []string{badCalib}))
		waitFor(t, ctx, 20*time.Second, `document.querySelector('#bulk').dataset.calibError === 'true'`)
		msg := eval[string](t, ctx, `document.querySelector('#bulk-note').textContent`)
		for _, want := range []string{"nothing applied", "line 3 (ghost.png): no such image loaded", `line 4 (p1.png): cm_per_pixel_x "abc" is not a number`, "line 5 (p0.png): duplicate of line 2"} {
			if !strings.Contains(msg, want) {
				t.Errorf("bad table: note lacks %q: %s", want, msg)
			}
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('#results tr[data-csa-cm2]').length`); n != 0 {
			t.Errorf("%d rows calibrated from a bad table, want none (nothing half-applied)", n)
		}
		run(t, ctx, 30*time.Second, chromedp.SetUploadFiles(chromedp.CSS("#calib-table"), []string{goodCalib}))
		waitFor(t, ctx, 60*time.Second, `document.querySelectorAll('#results tr[data-csa-cm2]').length === 6 && !document.querySelector('#results').dataset.saving`)
		if cm := eval[string](t, ctx, `document.querySelector('#results tr[data-file="p1.png"]').dataset.cmPerPx`); cm != "0.012" {
			t.Errorf("p1.png cm/px %s, want 0.012", cm)
		}
	})

	step(t, "bulk muscle, side, patient, exam", func(t *testing.T) {
		eval[bool](t, ctx, `(() => { const a = document.querySelector('#select-all'); a.checked = true; a.dispatchEvent(new Event('change')); return true; })()`)
		if n := eval[int](t, ctx, `document.querySelectorAll('#results tr[data-picked="true"]').length`); n != 6 {
			t.Fatalf("select all ticked %d rows", n)
		}
		bulk(t, ctx, map[string]string{"#b-patient": "P1"})
		// Visit 1: d0 + p0 tibialis anterior left/right; d1 + p1 biceps left/right.
		tick(t, ctx, "p0.png", "")
		tick(t, ctx, "p1.png", "shift") // p0..p1
		bulk(t, ctx, map[string]string{"#b-exam": "2026-03-01", "#b-side": "right"})
		tick(t, ctx, "d0.dcm", "")
		tick(t, ctx, "d1.dcm", "ctrl")
		bulk(t, ctx, map[string]string{"#b-side": "left"})
		tick(t, ctx, "p0.png", "")
		tick(t, ctx, "d0.dcm", "ctrl")
		bulk(t, ctx, map[string]string{"#b-muscle": "tibialis_anterior"})
		tick(t, ctx, "p1.png", "")
		tick(t, ctx, "d1.dcm", "ctrl")
		bulk(t, ctx, map[string]string{"#b-muscle": "biceps_brachii"})
		// Visit 2: p2 tibialis anterior left, p3 biceps left.
		tick(t, ctx, "p2.png", "")
		tick(t, ctx, "p3.png", "shift")
		bulk(t, ctx, map[string]string{"#b-exam": "2026-09-01", "#b-side": "left", "#b-operator": "Dr. Test", "#b-scanner": "Esaote MyLab", "#b-preset": "MSK"})
		tick(t, ctx, "p2.png", "")
		bulk(t, ctx, map[string]string{"#b-muscle": "tibialis_anterior"})
		tick(t, ctx, "p3.png", "")
		bulk(t, ctx, map[string]string{"#b-muscle": "biceps_brachii"})
		want := map[string][2]string{"p0.png": {"tibialis_anterior", "right"}, "p1.png": {"biceps_brachii", "right"}, "d0.dcm": {"tibialis_anterior", "left"},
			"d1.dcm": {"biceps_brachii", "left"}, "p2.png": {"tibialis_anterior", "left"}, "p3.png": {"biceps_brachii", "left"}}
		for f, w := range want {
			got := eval[[]string](t, ctx, fmt.Sprintf(`(() => { const r = document.querySelector('#results tr[data-file=%q]'); return [r.dataset.muscle, r.dataset.side, r.querySelector('td.side').textContent]; })()`, f))
			if got[0] != w[0] || got[1] != w[1] || got[2] != w[1] {
				t.Errorf("%s: muscle/side %v, want %v", f, got, w)
			}
		}
		screenshot(t, ctx, "workflow-01-table-1366x657")
	})

	var recs map[string]map[string]string
	step(t, "CSV columns", func(t *testing.T) {
		_, data := download(t, ctx, "#export-csv")
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, c := range rows[0] {
			col[c] = i
		}
		for _, c := range []string{"patient_id", "exam_date", "side", "patient_verdict", "z_note"} {
			if _, ok := col[c]; !ok {
				t.Fatalf("CSV has no %s column: %v", c, rows[0])
			}
		}
		recs = map[string]map[string]string{}
		for _, r := range rows[1:] {
			m := map[string]string{}
			for c, i := range col {
				m[c] = r[i]
			}
			recs[m["file"]] = m
			if m["patient_id"] != "P1" || m["patient_verdict"] == "" || (m["z"] != "" && !strings.Contains(m["z_note"], "scanner-caveat")) {
				t.Errorf("%s: patient %q verdict %q z_note %q", m["file"], m["patient_id"], m["patient_verdict"], m["z_note"])
			}
		}
		if recs["d0.dcm"]["exam_date"] != "2026-03-01" || recs["p3.png"]["exam_date"] != "2026-09-01" || recs["p0.png"]["side"] != "right" {
			t.Errorf("exam dates / side: %v / %v / %v", recs["d0.dcm"]["exam_date"], recs["p3.png"]["exam_date"], recs["p0.png"]["side"])
		}
		if bytes.Contains(data, []byte("Radboudumc muscle preset")) {
			t.Error("the long caveat is repeated in the CSV")
		}
	})

	var reportPath string
	step(t, "report", func(t *testing.T) {
		eval[bool](t, ctx, `(() => { const s = document.querySelector('#report-patient'); s.value = 'P1'; s.dispatchEvent(new Event('change')); return true; })()`)
		_, html := download(t, ctx, "#report-save")
		s := string(html)
		if n := strings.Count(s, `<section class="page">`); n != 2 {
			t.Fatalf("report has %d pages, want 2 visits", n)
		}
		reportPath = filepath.Join(artifacts, "workflow-report.html")
		os.MkdirAll(artifacts, 0o755)
		os.WriteFile(reportPath, html, 0o644)
	})

	step(t, "ZIP asks the group", func(t *testing.T) {
		selectRowByID(t, ctx, "p2.png")
		eval[bool](t, ctx, `(() => { const c = document.querySelector('#d-accepted'); c.checked = true; c.dispatchEvent(new Event('change')); return true; })()`)
		waitFor(t, ctx, 30*time.Second, `!document.querySelector('#results').dataset.saving`)
		run(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS("#export-zip")))
		waitFor(t, ctx, 20*time.Second, `document.querySelector('#zip-dialog').open`)
		screenshot(t, ctx, "workflow-03-zip-group")
		if got := eval[string](t, ctx, `document.querySelector('#zip-groups select').value`); got != "" {
			t.Errorf("group preselected as %q; there must be no default", got)
		}
		eval[bool](t, ctx, `(() => { document.querySelector('#zip-groups select').value = 'Pathological'; return true; })()`)
		_, data := download(t, ctx, "#zip-dialog-ok")
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		var imgs []string
		for _, f := range zr.File {
			if strings.Contains(f.Name, "/Images/") {
				imgs = append(imgs, f.Name)
			}
		}
		if len(imgs) != 1 || imgs[0] != "TA/Pathological/Images/P1_1.png" {
			t.Errorf("ZIP images %v, want only the accepted TA/Pathological/Images/P1_1.png", imgs)
		}
		note := eval[string](t, ctx, `document.querySelector('#bulk-note').textContent`)
		if !strings.Contains(note, "1 image(s): 0 corrected, 1 accepted") || !strings.Contains(note, "5 unreviewed left out") {
			t.Errorf("ZIP summary: %s", note)
		}
	})

	step(t, "DICOM SR", func(t *testing.T) {
		eval[bool](t, ctx, `(() => { const s = document.querySelector('#report-exam'); s.value = '2026-03-01'; return s.value === '2026-03-01'; })()`)
		_, data := download(t, ctx, "#export-sr")
		for _, u := range []string{"1.2.826.0.1.3680043.9.7.16.1", "1.2.826.0.1.3680043.9.7.16.2", "1.2.840.10008.5.1.4.1.1.88.33"} {
			if !bytes.Contains(data, []byte(u)) {
				t.Errorf("SR lacks %s", u)
			}
		}
		if note := eval[string](t, ctx, `document.querySelector('#bulk-note').textContent`); !strings.Contains(note, "2 image(s); not DICOM, left out: p0.png, p1.png") {
			t.Errorf("SR note: %s", note)
		}
		p := filepath.Join(t.TempDir(), "sr.dcm")
		os.WriteFile(p, data, 0o644)
		for _, tool := range [][]string{{"dsrdump", "-Ee", "-Ec", p}, {"dciodvfy", p}} {
			if _, err := exec.LookPath(tool[0]); err != nil {
				t.Logf("%s not installed: run scripts/test-deps.sh", tool[0])
				continue
			}
			out, _ := exec.Command(tool[0], tool[1:]...).CombinedOutput()
			clean := strings.ReplaceAll(string(out), "W: The VR checker does not support this Specific Character Set: ISO_IR 192", "")
			if strings.Contains(clean, "Error") || strings.Contains(clean, "E: ") {
				t.Errorf("%s reports errors:\n%s", tool[0], out)
			}
		}
	})

	step(t, "depth", func(t *testing.T) {
		// A panoramic capture: a depth read off the screen is refused with
		// the reason; on a single linear frame it gives the cm/px it implies.
		real := filepath.Join(dir, filepath.Base(realImage))
		copyFile(t, realImage, real)
		upload(t, ctx, real)
		waitDone(t, ctx, segmentTimeout, filepath.Base(realImage))
		tick(t, ctx, filepath.Base(realImage), "")
		tick(t, ctx, "p3.png", "ctrl")
		note := bulk(t, ctx, map[string]string{"#b-depth": "4.8"})
		if !strings.Contains(note, "1 of 2 changed") || !strings.Contains(note, filepath.Base(realImage)+": ") || !strings.Contains(note, "depth calibration refused: the image field fills") {
			t.Errorf("panoramic depth not refused with its reason: %s", note)
		}
		if !strings.Contains(note, "p3.png: 4.8 cm → ") {
			t.Errorf("implied cm/px not shown: %s", note)
		}
		if cm := eval[string](t, ctx, fmt.Sprintf(`document.querySelector('#results tr[data-file=%q]').dataset.cmPerPx`, filepath.Base(realImage))); cm != "" {
			t.Errorf("the refused image's calibration changed to %q", cm)
		}
	})

	step(t, "laptop screen", func(t *testing.T) {
		// Every control is on screen and its pane does not scroll.
		for _, sel := range []string{"#export-csv", "#export-zip", "#export-sr", "#report-print", "#b-apply", "#clear-session", "#d-apply", "#remove-item", "#export-overlay"} {
			ok := eval[bool](t, ctx, fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; })()`, sel))
			if !ok {
				t.Errorf("%s is not on screen at 1366×657", sel)
			}
		}
		if eval[bool](t, ctx, `(() => { const a = document.querySelector('aside.side'); return a.scrollHeight > a.clientHeight + 1; })()`) {
			t.Error("the side panel scrolls at 1366×657")
		}
		// Whole muscle names in the dropdowns.
		cut := eval[string](t, ctx, `(() => { const c = document.createElement('canvas').getContext('2d'); const out = [];
		  for (const s of document.querySelectorAll('select')) { if (!s.offsetParent) continue; c.font = getComputedStyle(s).font;
		    const w = Math.max(...Array.from(s.options).map(o => c.measureText(o.text).width)); if (w + 18 > s.clientWidth) out.push(s.id + ':' + Math.round(w) + '>' + s.clientWidth); }
		  return out.join(' '); })()`)
		if cut != "" {
			t.Errorf("dropdowns cut: %s", cut)
		}
		eval[bool](t, ctx, `(() => { const c = document.querySelector('#compact'); c.checked = true; c.dispatchEvent(new Event('change')); return true; })()`)
		// Rows the table shows before it scrolls (its height limit, not its six rows).
		n := eval[float64](t, ctx, `(() => { const w = document.querySelector('.table-wrap'); const r = document.querySelector('#results tbody tr'); return (parseFloat(getComputedStyle(w).maxHeight) - document.querySelector('#results thead').offsetHeight) / r.offsetHeight; })()`)
		if n < 12 {
			t.Errorf("compact table shows %.1f rows, want ≥ 12", n)
		}
		screenshot(t, ctx, "workflow-04-compact-1366x657")
	})

	step(t, "delete patient", func(t *testing.T) {
		eval[bool](t, ctx, `(() => { window.confirm = () => true; document.querySelector('#patient-list button[aria-label="Delete patient P1"]').click(); return true; })()`)
		// P1's six images go; the panoramic image (no patient) stays.
		waitFor(t, ctx, 30*time.Second, `document.querySelectorAll('#results tbody tr').length === 1 && document.querySelectorAll('#patient-list li').length === 1`)
	})

	step(t, "report printed to PDF", func(t *testing.T) {
		if reportPath == "" {
			t.Skip("no report")
		}
		abs, _ := filepath.Abs(reportPath)
		// The report alone in the tab (the app is done with): screenshot and
		// print to PDF as Chromium's "Save as PDF" does.
		run(t, ctx, 30*time.Second, chromedp.EmulateViewport(900, 1300), chromedp.Navigate("file://"+abs))
		screenshot(t, ctx, "workflow-02-report")
		pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		pdf, err := chromedp.Call(pctx, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: 8.27, PaperHeight: 11.69})
		if err != nil {
			t.Fatal(err)
		}
		pdfPath := filepath.Join(artifacts, "workflow-report.pdf")
		os.WriteFile(pdfPath, pdf.Data, 0o644)
		if _, err := exec.LookPath("pdftotext"); err != nil {
			t.Skip("pdftotext (poppler-utils) not installed: run scripts/test-deps.sh")
		}
		out, err := exec.Command("pdftotext", "-layout", pdfPath, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		text := string(out)
		if n := strings.Count(text, "\f"); n < 2 {
			t.Errorf("PDF has %d page breaks, want a page per visit", n)
		}
		// Visit 2 has one image per muscle: the table shows its CSV values.
		// A mask the quality check flagged has no z: the report says so.
		for _, f := range []string{"p2.png", "p3.png", "d0.dcm"} {
			r := recs[f]
			want := []string{fix(t, r["csa_cm2"], 2), fix(t, r["ei_mean"], 1)}
			switch {
			case r["quality"] == "flagged" && r["z"] == "":
				want = append(want, "not computed", "mask flagged")
			default:
				want = append(want, fix(t, r["z"], 2))
			}
			for _, v := range want {
				if !strings.Contains(text, v) {
					t.Errorf("PDF lacks %s's value %s", f, v)
				}
			}
		}
		for _, want := range []string{"P1", "2026-03-01", "2026-09-01", "Tibialis anterior", "Biceps brachii", "Dr. Test", "RESEARCH USE ONLY", "Heckmatt", "Visits (2)"} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF lacks %q", want)
			}
		}
	})
}

// selectRowByID clicks a row's file cell (a plain click: select and tick).
func selectRowByID(t *testing.T, ctx context.Context, file string) {
	t.Helper()
	tick(t, ctx, file, "")
	waitFor(t, ctx, 10*time.Second, fmt.Sprintf(`document.querySelector('#detail-name').textContent === %q`, file))
}

// fix formats a CSV number as the report does.
func fix(t *testing.T, s string, prec int) string {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("number %q: %v", s, err)
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}
