// Package e2e tests the browser app end to end: the real server binary, the
// real wasm and headless Chromium, driven through the DevTools protocol
// (chromedp). The tests run only with MYOSEG_E2E=1 (`make e2e`), so that
// `go test ./...` stays fast and needs no browser; they need `make wasm`.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"myoseg/e2e/headless"
)

// artifacts is where screenshots and downloads are kept for a person to look at.
const artifacts = "artifacts"

func needE2E(tb testing.TB) {
	tb.Helper()
	if os.Getenv("MYOSEG_E2E") == "" {
		tb.Skip("browser tests run with MYOSEG_E2E=1 (make e2e)")
	}
}

var (
	buildOnce sync.Once
	serverBin string
	buildErr  error
)

// serverBinary builds the root program once per test run; it embeds
// web/dist, so `make wasm` must have run.
func serverBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		if _, err := os.Stat("../web/dist/myoseg.wasm"); err != nil {
			buildErr = fmt.Errorf("web/dist/myoseg.wasm missing: run `make wasm` first")
			return
		}
		dir, err := os.MkdirTemp("", "myoseg-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		serverBin = filepath.Join(dir, "myoseg")
		cmd := exec.Command("go", "build", "-o", serverBin, ".")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return serverBin
}

// server is the myoseg binary serving on a free port.
type server struct {
	cmd  *exec.Cmd
	URL  string
	done chan struct{}
}

var urlLine = regexp.MustCompile(`serving on (http://\S+)`)

func startServer(tb testing.TB) *server {
	tb.Helper()
	cmd := exec.Command(serverBinary(tb), "serve", "--addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := urlLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
	}()
	go func() { cmd.Wait(); close(s.done) }()
	select {
	case u, ok := <-found:
		if !ok {
			tb.Fatal("server exited without printing its URL")
		}
		s.URL = u
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		tb.Fatal("server printed no URL within 60 s")
	}
	tb.Cleanup(s.stop)
	return s
}

func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// chromiumPath is Debian's Chromium unless CHROMIUM says otherwise.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// newBrowser starts headless Chromium with a fresh profile (no service
// worker, no IndexedDB: a first visit) and returns a tab's context.
func newBrowser(tb testing.TB, w, h int) context.Context {
	tb.Helper()
	profile := tb.TempDir()
	opts := append(headless.Options(chromiumPath(), profile),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(w, h))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	tb.Cleanup(func() { cancel(); acancel() })
	if err := chromedp.Do(ctx); err != nil { // start the browser without a timeout
		tb.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), int64(h))); err != nil {
		tb.Fatal(err)
	}
	return ctx
}

// run runs actions with a timeout, failing the test on error.
func run(tb testing.TB, ctx context.Context, d time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		tb.Fatal(err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) into T.
func eval[T any](tb testing.TB, ctx context.Context, expr string) T {
	tb.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript predicate until it is truthy; on timeout it
// fails with what the page shows, so a failure says why.
func waitFor(tb testing.TB, ctx context.Context, d time.Duration, predicate string) {
	tb.Helper()
	tctx, cancel := context.WithTimeout(ctx, d+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(tctx, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(d)))
	if err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](pageStateJS))
		screenshot(tb, ctx, "failure-"+sanitize(tb.Name()))
		tb.Fatalf("waiting for %s: %v\npage: %s", predicate, err, state)
	}
}

const pageStateJS = `JSON.stringify({
  model: document.body.dataset.model, modelError: document.body.dataset.modelError,
  warning: document.querySelector('#model-warning').textContent,
  rows: Array.from(document.querySelectorAll('#results tbody tr')).map(r => ({...r.dataset, text: r.textContent.slice(0, 200)})),
})`

func sanitize(s string) string {
	return regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(s, "_")
}

// screenshot saves the viewport as artifacts/<name>.png.
func screenshot(tb testing.TB, ctx context.Context, name string) string {
	tb.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.Logf("screenshot %s: %v", name, err)
		return ""
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(artifacts, name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("screenshot: e2e/%s", p)
	return p
}

// row is one row of the results table, as its data attributes say.
type row struct {
	ID        string `json:"id"`
	File      string `json:"file"`
	Status    string `json:"status"`
	CSACm2    string `json:"csaCm2"`
	CSAPx     string `json:"csaPx"`
	AreaPx    string `json:"areaPx"`
	Corrected string `json:"corrected"`
	Text      string `json:"text"`
}

func rows(tb testing.TB, ctx context.Context) []row {
	tb.Helper()
	raw := eval[string](tb, ctx, `JSON.stringify(Array.from(document.querySelectorAll('#results tbody tr')).map(r => ({...r.dataset, text: r.textContent})))`)
	var rs []row
	if err := json.Unmarshal([]byte(raw), &rs); err != nil {
		tb.Fatal(err)
	}
	return rs
}

func rowOf(tb testing.TB, ctx context.Context, file string) row {
	tb.Helper()
	for _, r := range rows(tb, ctx) {
		if r.File == file {
			return r
		}
	}
	tb.Fatalf("no row for %s", file)
	return row{}
}

// waitDone waits until the row of file has finished (done or error).
func waitDone(tb testing.TB, ctx context.Context, d time.Duration, files ...string) {
	tb.Helper()
	for _, f := range files {
		waitFor(tb, ctx, d, fmt.Sprintf(`(() => { const r = document.querySelector('#results tr[data-file=%q]'); return r && (r.dataset.status === 'done' || r.dataset.status === 'error'); })()`, f))
	}
}

// upload gives files to the page through the file input #files.
func upload(tb testing.TB, ctx context.Context, files ...string) {
	tb.Helper()
	abs := make([]string, len(files))
	for i, f := range files {
		a, err := filepath.Abs(f)
		if err != nil {
			tb.Fatal(err)
		}
		abs[i] = a
	}
	run(tb, ctx, 30*time.Second, chromedp.SetUploadFiles(chromedp.CSS("#files"), abs))
}

// download clicks sel and returns the file the page saves.
func download(tb testing.TB, ctx context.Context, sel string) (string, []byte) {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
	}); err != nil {
		tb.Fatal(err)
	}
	run(tb, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(sel)))
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".crdownload") {
				data, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err == nil && len(data) > 0 {
					os.MkdirAll(artifacts, 0o755)
					os.WriteFile(filepath.Join(artifacts, "download-"+e.Name()), data, 0o644)
					return e.Name(), data
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("no download after clicking %s", sel)
	return "", nil
}

func decodeGray(tb testing.TB, data []byte) *image.Gray {
	tb.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		tb.Fatalf("PNG is %T, want 8-bit grey", img)
	}
	return g
}

func writePNG(tb testing.TB, path string, g image.Image) {
	tb.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	in, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		tb.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, in); err != nil {
		tb.Fatal(err)
	}
}

func decodePNGConfig(data []byte) (image.Config, error) {
	return png.DecodeConfig(bytes.NewReader(data))
}
