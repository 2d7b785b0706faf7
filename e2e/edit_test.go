package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"myoseg/core/imaging/contour"
	"myoseg/core/imaging/edt"
	"myoseg/core/imaging/mask"
)

// A real scan with an outline drawn for validation (non-expert, see the
// folder's README): models/validation/real-outlines.
const (
	realOutlineImage = "../models/validation/real-outlines/VL/Healthy/Images/SUB03_img4.tif"
	realOutlineMask  = "../models/validation/real-outlines/VL/Healthy/Masks/SUB03_img4.png"
)

// canvasView is where the image sits on the page.
type canvasView struct {
	View struct{ Scale, Tx, Ty, Ratio float64 }
	X, Y float64
}

func viewOf(t *testing.T, ctx context.Context) canvasView {
	t.Helper()
	raw := eval[string](t, ctx, `(() => { const c = document.querySelector('#view'); const r = c.getBoundingClientRect(); return JSON.stringify({view: JSON.parse(c.dataset.view), x: r.x, y: r.y}); })()`)
	var v canvasView
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// page maps image pixels to page (CSS) pixels.
func (v canvasView) page(p contour.Point) (float64, float64) {
	return v.X + (p.X*v.View.Scale+v.View.Tx)/v.View.Ratio, v.Y + (p.Y*v.View.Scale+v.View.Ty)/v.View.Ratio
}

// editState is the viewer's editing status (canvas data-edit).
type editState struct {
	Tool    string
	Snap    bool
	Tidy    bool
	Points  int
	Handles []contour.Point
	Busy    bool
}

func editOf(t *testing.T, ctx context.Context) editState {
	t.Helper()
	var e editState
	if err := json.Unmarshal([]byte(eval[string](t, ctx, `document.querySelector('#view').dataset.edit || '{}'`)), &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// waitIdle waits until no edit is on its way to the worker and nothing is
// being remeasured.
func waitIdle(t *testing.T, ctx context.Context) {
	t.Helper()
	waitFor(t, ctx, 60*time.Second, `(() => { const e = JSON.parse(document.querySelector('#view').dataset.edit || '{}'); return e.busy === false && !document.querySelector('#results').dataset.saving; })()`)
}

// shownMask is the viewer's current mask, byte for byte.
func shownMask(t *testing.T, ctx context.Context) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(eval[string](t, ctx, `window.myosegMaskB64()`))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func maskArea(b []byte) int {
	n := 0
	for _, v := range b {
		if v != 0 {
			n++
		}
	}
	return n
}

// diceBytes is dice with the viewer's mask bytes on one side.
func diceBytes(b []byte, truth *image.Gray) float64 {
	g := image.NewGray(truth.Rect)
	copy(g.Pix, b)
	return dice(g, truth)
}

func key(t *testing.T, ctx context.Context, k string) {
	t.Helper()
	run(t, ctx, 5*time.Second, chromedp.KeyEvent(k))
}

// setTool presses the tool's key and checks the viewer took it.
func setTool(t *testing.T, ctx context.Context, k, tool string) {
	t.Helper()
	key(t, ctx, k)
	waitFor(t, ctx, 5*time.Second, fmt.Sprintf(`JSON.parse(document.querySelector('#view').dataset.edit || '{}').tool === %q`, tool))
}

// setSnap sets snapping with its key.
func setSnap(t *testing.T, ctx context.Context, on bool) {
	t.Helper()
	if editOf(t, ctx).Snap != on {
		key(t, ctx, "s")
	}
	if editOf(t, ctx).Snap != on {
		t.Fatalf("snap did not turn %v", on)
	}
}

// clickAt moves the mouse to p in a few steps from the last point (so the
// livewire follows it, as under a hand) and clicks.
func clickAt(t *testing.T, ctx context.Context, v canvasView, from, p contour.Point) {
	t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for i := 1; i <= 4; i++ {
		x, y := v.page(contour.Point{X: from.X + (p.X-from.X)*float64(i)/4, Y: from.Y + (p.Y-from.Y)*float64(i)/4})
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y), chromedp.Sleep(10*time.Millisecond))
	}
	x, y := v.page(p)
	steps = append(steps,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	run(t, ctx, 10*time.Second, steps...)
}

// clicksOn returns n points evenly spaced along the smooth outline of
// truth's largest region: where a person would click on the true contour.
func clicksOn(t *testing.T, truth *image.Gray, n int) []contour.Point {
	t.Helper()
	hs, err := contour.FromMask(mask.FromGray(truth, truth.Rect))
	if err != nil {
		t.Fatal(err)
	}
	s, err := contour.Spline(hs, 1)
	if err != nil {
		t.Fatal(err)
	}
	return contour.Evenly(s, n)
}

// outline draws an outline through clicks with the outline tool, closes it
// with Enter and returns the resulting mask and the time from the first
// click to the mask.
func outline(t *testing.T, ctx context.Context, clicks []contour.Point) ([]byte, time.Duration) {
	t.Helper()
	setTool(t, ctx, "o", "outline")
	v := viewOf(t, ctx)
	before := shownMask(t, ctx)
	start := time.Now()
	last := clicks[0]
	for _, p := range clicks {
		clickAt(t, ctx, v, last, p)
		last = p
	}
	if got := editOf(t, ctx).Points; got != len(clicks) {
		t.Fatalf("outline has %d points after %d clicks", got, len(clicks))
	}
	key(t, ctx, kb.Enter)
	waitFor(t, ctx, 60*time.Second, `JSON.parse(document.querySelector('#view').dataset.edit).points === 0`)
	waitIdle(t, ctx)
	m := shownMask(t, ctx)
	if slices.Equal(m, before) {
		t.Fatal("closing the outline did not change the mask")
	}
	return m, time.Since(start)
}

func undoRedo(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	run(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(sel)))
	waitIdle(t, ctx)
}

func readMaskPNG(t *testing.T, path string) *image.Gray {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	g := image.NewGray(img.Bounds())
	for y := g.Rect.Min.Y; y < g.Rect.Max.Y; y++ {
		for x := g.Rect.Min.X; x < g.Rect.Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r != 0 {
				g.Pix[g.PixOffset(x, y)] = 255
			}
		}
	}
	return g
}

// latency logs the page's round trips to the worker for editing
// (window.myosegStats.edit): median and worst per kind and image size.
func latency(t *testing.T, ctx context.Context) {
	t.Helper()
	var stats map[string][]float64
	if err := json.Unmarshal([]byte(eval[string](t, ctx, `JSON.stringify(window.myosegStats.edit || {})`)), &stats); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(stats))
	for k := range stats {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := slices.Clone(stats[k])
		slices.Sort(v)
		t.Logf("latency %-28s n=%3d median %6.1f ms  p90 %6.1f ms  max %6.1f ms", k, len(v), v[len(v)/2], v[len(v)*9/10], v[len(v)-1])
	}
}

// TestEdit corrects masks with every tool: outlines with and without
// snapping on a phantom and a real scan, a contour handle, the nudge, the
// brush with hole-fill, then undoes and redoes all of it.
func TestEdit(t *testing.T) {
	needE2E(t)
	srv := startServer(t)
	ctx := newBrowser(t, 1366, 768)
	dir := t.TempDir()
	ph := phantoms(t, dir, 1)[0]
	realFile := filepath.Join(dir, filepath.Base(realOutlineImage))
	copyFile(t, realOutlineImage, realFile)
	realTruth := readMaskPNG(t, realOutlineMask)
	realName := filepath.Base(realOutlineImage)
	blank := filepath.Join(dir, "blank.png")
	writePNG(t, blank, image.NewGray(image.Rect(0, 0, 256, 256)))

	var history [][]byte // the masks after each edit, for undo and redo

	step(t, "load", func(t *testing.T) {
		run(t, ctx, 60*time.Second, chromedp.Navigate(srv.URL))
		waitFor(t, ctx, segmentTimeout, `document.body.dataset.model || document.body.dataset.modelError`)
		upload(t, ctx, ph.path, realFile, blank)
		waitDone(t, ctx, segmentTimeout, ph.name, realName, "blank.png")
	})

	step(t, "no mask found", func(t *testing.T) {
		selectRow(t, ctx, "blank.png")
		if a := rowOf(t, ctx, "blank.png").AreaPx; a != "0" {
			t.Skipf("the model found %s px in a black image; nothing to check here", a)
		}
		e := editOf(t, ctx)
		msg := eval[string](t, ctx, `document.querySelector('#edit-note').hidden ? '' : document.querySelector('#edit-note').textContent`)
		if e.Tool != "outline" || !strings.Contains(msg, "no muscle") {
			t.Errorf("empty result: tool %q, note %q; want the outline tool and a note", e.Tool, msg)
		}
	})

	step(t, "phantom outline, snapping", func(t *testing.T) {
		selectRow(t, ctx, ph.name)
		waitIdle(t, ctx)
		history = append(history, shownMask(t, ctx))
		setSnap(t, ctx, true)
		clicks := clicksOn(t, ph.s.Mask, 12)
		m, took := outline(t, ctx, clicks)
		d := diceBytes(m, ph.s.Mask)
		t.Logf("phantom, snapping on: %d clicks + Enter, Dice %.4f, %.1f s from first click to mask (scripted)", len(clicks), d, took.Seconds())
		if d < 0.95 {
			t.Errorf("snapped outline Dice %.4f, want ≥ 0.95", d)
		}
		history = append(history, m)
	})

	step(t, "phantom outline, no snapping", func(t *testing.T) {
		setSnap(t, ctx, false)
		clicks := clicksOn(t, ph.s.Mask, 12)
		m, took := outline(t, ctx, clicks)
		d := diceBytes(m, ph.s.Mask)
		t.Logf("phantom, snapping off: %d clicks + Enter, Dice %.4f, %.1f s", len(clicks), d, took.Seconds())
		if d < 0.90 {
			t.Errorf("unsnapped outline Dice %.4f, want ≥ 0.90", d)
		}
		history = append(history, m)
		setSnap(t, ctx, true)
	})

	step(t, "contour handle drag", func(t *testing.T) {
		setTool(t, ctx, "c", "contour")
		waitFor(t, ctx, 30*time.Second, `(() => { const e = JSON.parse(document.querySelector('#view').dataset.edit); return e.handles.length >= 3 && !e.busy; })()`)
		hs := editOf(t, ctx).Handles
		w, h := ph.s.Mask.Rect.Dx(), ph.s.Mask.Rect.Dy()
		base, err := contour.Outline(hs, w, h)
		if err != nil {
			t.Fatal(err)
		}
		// Drag handle 0 away from the handles' centroid by 15 px.
		var c contour.Point
		for _, p := range hs {
			c.X += p.X / float64(len(hs))
			c.Y += p.Y / float64(len(hs))
		}
		dx, dy := hs[0].X-c.X, hs[0].Y-c.Y
		l := math.Hypot(dx, dy)
		to := contour.Point{X: hs[0].X + 15*dx/l, Y: hs[0].Y + 15*dy/l}
		v := viewOf(t, ctx)
		x0, y0 := v.page(hs[0])
		steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y0, chromedp.ButtonLeft, chromedp.ClickCount(1)), chromedp.Sleep(300 * time.Millisecond)}
		for i := 1; i <= 8; i++ {
			x, y := v.page(contour.Point{X: hs[0].X + (to.X-hs[0].X)*float64(i)/8, Y: hs[0].Y + (to.Y-hs[0].Y)*float64(i)/8})
			steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y, chromedp.ButtonLeft), chromedp.Sleep(30*time.Millisecond))
		}
		x1, y1 := v.page(to)
		steps = append(steps, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y1, chromedp.ButtonLeft, chromedp.ClickCount(1)))
		run(t, ctx, 20*time.Second, steps...)
		waitIdle(t, ctx)
		after := editOf(t, ctx).Handles
		if len(after) != len(hs) || math.Hypot(after[0].X-to.X, after[0].Y-to.Y) > 1 {
			t.Fatalf("handle 0 is at %v after dragging it to %v", after[0], to)
		}
		s0, _ := contour.Spline(hs, 1)
		s1, _ := contour.Spline(after, 1)
		want := math.Abs(contour.Area(s1)) - math.Abs(contour.Area(s0))
		m := shownMask(t, ctx)
		got := float64(maskArea(m) - base.Count())
		t.Logf("handle drag of 15 px: area +%.0f px, the contour's geometry says +%.0f px", got, want)
		if math.Abs(got-want) > 0.02*math.Abs(want) {
			t.Errorf("area changed by %.0f px, expected %.0f px (±2%%)", got, want)
		}
		history = append(history, m)
		screenshot(t, ctx, "edit-contour-1366x768")
	})

	step(t, "nudge", func(t *testing.T) {
		setTool(t, ctx, "n", "nudge")
		waitIdle(t, ctx)
		a0 := maskArea(shownMask(t, ctx))
		hs := editOf(t, ctx).Handles
		var c contour.Point
		for _, p := range hs {
			c.X += p.X / float64(len(hs))
			c.Y += p.Y / float64(len(hs))
		}
		// A 20-px disk ("]" four times from 12) pressed from inside: from 14 px
		// inside handle 4 to 3 px inside, it pushes the contour out.
		for range 4 {
			key(t, ctx, "]")
		}
		p := hs[4]
		l := math.Hypot(c.X-p.X, c.Y-p.Y)
		in := contour.Point{X: p.X + (c.X-p.X)*14/l, Y: p.Y + (c.Y-p.Y)*14/l}
		out := contour.Point{X: p.X + (c.X-p.X)*3/l, Y: p.Y + (c.Y-p.Y)*3/l}
		v := viewOf(t, ctx)
		x0, y0 := v.page(in)
		x1, y1 := v.page(out)
		run(t, ctx, 20*time.Second,
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x0, y0),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y0, chromedp.ButtonLeft, chromedp.ClickCount(1)),
			chromedp.Sleep(300*time.Millisecond),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x1, y1, chromedp.ButtonLeft),
			chromedp.Sleep(300*time.Millisecond))
		screenshot(t, ctx, "edit-nudge-1366x768")
		run(t, ctx, 5*time.Second, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y1, chromedp.ButtonLeft, chromedp.ClickCount(1)))
		waitIdle(t, ctx)
		m := shownMask(t, ctx)
		if a1 := maskArea(m); a1 <= a0 {
			t.Errorf("nudging outwards from inside: area %d → %d, want it to grow", a0, a1)
		}
		history = append(history, m)
		for range 4 {
			key(t, ctx, "[")
		}
	})

	step(t, "brush hole fill", func(t *testing.T) {
		m0 := shownMask(t, ctx)
		a0 := maskArea(m0)
		w, h := ph.s.Mask.Rect.Dx(), ph.s.Mask.Rect.Dy()
		// The hole goes where the mask is deepest (the centroid of a
		// nudged, curved mask can sit near its edge, and a "hole" there
		// opens to the outside); the brush goes deep too, away from it.
		hole := deepest(m0, w, h, image.Point{}, 0)
		at := deepest(m0, w, h, hole, 30)
		key(t, ctx, "t")
		if editOf(t, ctx).Tidy {
			t.Fatal("tidy did not turn off")
		}
		setTool(t, ctx, "e", "eraser")
		stroke(t, ctx, hole, hole.Add(image.Pt(4, 0)))
		waitIdle(t, ctx)
		holed := shownMask(t, ctx)
		if maskArea(holed) >= a0 {
			t.Fatalf("erasing inside the mask left the area at %d (was %d)", maskArea(holed), a0)
		}
		history = append(history, holed)
		key(t, ctx, "t")
		if !editOf(t, ctx).Tidy {
			t.Fatal("tidy did not turn back on")
		}
		setTool(t, ctx, "b", "brush")
		screenshot(t, ctx, "edit-brush-1366x768")
		stroke(t, ctx, at.Add(image.Pt(-5, 0)), at.Add(image.Pt(5, 0)))
		waitIdle(t, ctx)
		m := shownMask(t, ctx)
		if got := maskArea(m); got != a0 {
			t.Errorf("brushing inside the mask with hole-fill on: area %d, want %d (the hole filled, nothing added)", got, a0)
		}
		history = append(history, m)
	})

	step(t, "undo and redo", func(t *testing.T) {
		for i := len(history) - 2; i >= 0; i-- {
			undoRedo(t, ctx, "#undo")
			if !slices.Equal(shownMask(t, ctx), history[i]) {
				t.Fatalf("undo to state %d: the mask differs", i)
			}
		}
		for i := 1; i < len(history); i++ {
			undoRedo(t, ctx, "#redo")
			if !slices.Equal(shownMask(t, ctx), history[i]) {
				t.Fatalf("redo to state %d: the mask differs", i)
			}
		}
		t.Logf("%d edits undone and redone, every mask byte-identical", len(history)-1)
		if r := rowOf(t, ctx, ph.name); !strings.Contains(r.Text, "corrected") {
			t.Errorf("the edited row does not say corrected: %s", r.Text)
		}
	})

	step(t, "real scan outline", func(t *testing.T) {
		selectRow(t, ctx, realName)
		waitIdle(t, ctx)
		setSnap(t, ctx, true)
		clicks := clicksOn(t, realTruth, 15)
		m, took := outline(t, ctx, clicks)
		d := diceBytes(m, realTruth)
		t.Logf("%s (1456×819), snapping on: %d clicks + Enter, Dice %.4f against the validation outline, %.1f s", realName, len(clicks), d, took.Seconds())
		if d < 0.90 {
			t.Errorf("real scan outline Dice %.4f, want ≥ 0.90", d)
		}
	})

	step(t, "screenshots", func(t *testing.T) {
		for _, sz := range []image.Point{{1366, 768}, {1920, 1080}} {
			run(t, ctx, 10*time.Second, chromedp.EmulateViewport(int64(sz.X), int64(sz.Y)), chromedp.Sleep(300*time.Millisecond))
			name := func(s string) string { return fmt.Sprintf("edit-%s-%dx%d", s, sz.X, sz.Y) }
			selectRow(t, ctx, ph.name)
			key(t, ctx, "0")
			setTool(t, ctx, "o", "outline")
			v := viewOf(t, ctx)
			clicks := clicksOn(t, ph.s.Mask, 12)
			for i, p := range clicks[:7] {
				from := p
				if i > 0 {
					from = clicks[i-1]
				}
				clickAt(t, ctx, v, from, p)
			}
			x, y := v.page(contour.Point{X: clicks[7].X + 3, Y: clicks[7].Y + 2})
			run(t, ctx, 5*time.Second, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y), chromedp.Sleep(500*time.Millisecond))
			screenshot(t, ctx, name("outline"))
			key(t, ctx, kb.Escape)
			setTool(t, ctx, "c", "contour")
			waitIdle(t, ctx)
			screenshot(t, ctx, name("contour"))
			key(t, ctx, "f")
			setTool(t, ctx, "b", "brush")
			cx, cy := v.page(clicks[3])
			run(t, ctx, 5*time.Second, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, cx, cy), chromedp.Sleep(200*time.Millisecond))
			screenshot(t, ctx, name("brush-fitmask"))
			key(t, ctx, "?")
			screenshot(t, ctx, name("help"))
			key(t, ctx, "?")
			key(t, ctx, "0")
		}
		latency(t, ctx)
	})
}

// deepest is the set pixel of the w×h mask b farthest from its edge, among
// those at least minDist from away.
func deepest(b []byte, w, h int, away image.Point, minDist int) image.Point {
	set := make([]bool, w*h)
	for i, v := range b {
		set[i] = v != 0
	}
	d := edt.ToMask(nil, set, w, h, false)
	best, bd := image.Point{}, -1.0
	for y := range h {
		for x := range w {
			dx, dy := x-away.X, y-away.Y
			if d[y*w+x] > bd && dx*dx+dy*dy >= minDist*minDist {
				best, bd = image.Pt(x, y), d[y*w+x]
			}
		}
	}
	return best
}
