package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"myoseg/core/study/phantom"
)

// TestAdaptRefusesTooFew: the page loads with the Adapt button, and
// adapting with fewer than 8 corrected or accepted images says why, without
// starting the trainer, while the model and the results stay.
func TestAdaptRefusesTooFew(t *testing.T) {
	needE2E(t)
	srv := startServer(t)
	ctx := newBrowser(t, 1366, 900)
	dir := t.TempDir()
	var files []string
	for i := 0; i < 2; i++ {
		s, err := phantom.Generate(phantom.Config{Seed: 9, N: 2}, i)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("P%d_1.png", i))
		writePNG(t, p, s.Image)
		files = append(files, p)
	}
	run(t, ctx, 60*time.Second, chromedp.Navigate(srv.URL))
	waitFor(t, ctx, 90*time.Second, `document.body.dataset.model && document.querySelector('#adapt-btn') !== null`)
	upload(t, ctx, files...)
	waitDone(t, ctx, 120*time.Second, "P0_1.png", "P1_1.png")
	model := eval[string](t, ctx, `document.body.dataset.model`)
	run(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS("#adapt-btn")))
	waitFor(t, ctx, 30*time.Second, `document.querySelector('#adapt-note').textContent.startsWith('Adapt: ')`)
	note := eval[string](t, ctx, `document.querySelector('#adapt-note').textContent`)
	if !strings.Contains(note, "at least 8") {
		t.Errorf("note %q: want the reason (at least 8 images)", note)
	}
	if got := eval[string](t, ctx, `document.body.dataset.model`); got != model {
		t.Errorf("model changed from %q to %q", model, got)
	}
	if n := len(rows(t, ctx)); n != 2 {
		t.Errorf("%d rows after the refusal, want 2", n)
	}
	t.Logf("note: %s", note)
}
