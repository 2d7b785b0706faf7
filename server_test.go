package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/andybalholm/brotli"
)

// testWeb is a small web/ tree: the page, the service worker, a fake wasm
// with build-time .gz and .br beside it, and a file that is not served.
func testWeb(t *testing.T, wasm []byte) fstest.MapFS {
	t.Helper()
	var gz, br bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(wasm)
	gw.Close()
	bw := brotli.NewWriter(&br)
	bw.Write(wasm)
	bw.Close()
	return fstest.MapFS{
		"index.html":          {Data: []byte("<!doctype html><title>x</title>" + strings.Repeat("<p>page</p>", 200))},
		"app.js":              {Data: []byte("console.log(1)")},
		"sw.js":               {Data: []byte(`const VERSION = "__VERSION__"; const PRECACHE = ["__PRECACHE__"];`)},
		"dist/myoseg.wasm":    {Data: wasm},
		"dist/myoseg.wasm.gz": {Data: gz.Bytes()},
		"dist/myoseg.wasm.br": {Data: br.Bytes()},
		"dist/wasm_exec.js":   {Data: []byte("// go")},
		"notes.bak":           {Data: []byte("not part of the app")},
		".secret.js":          {Data: []byte("dot file")},
		"_draft.html":         {Data: []byte("underscore file")},
		"dist/.cache/x.js":    {Data: []byte("inside a dot folder")},
		"_old/app.js":         {Data: []byte("inside an underscore folder")},
	}
}

var testModel = modelFile{Name: "m-v1", Data: []byte("onnx bytes"), CardName: "m-v1.md", Card: []byte("# card")}

func newTestSite(t *testing.T) (*site, []byte) {
	t.Helper()
	wasm := bytes.Repeat([]byte("\x00asm wasm wasm "), 2000)
	s, err := newSite(testWeb(t, wasm), testModel)
	if err != nil {
		t.Fatal(err)
	}
	return s, wasm
}

func TestNewSiteRefusesWithoutWasm(t *testing.T) {
	web := testWeb(t, []byte("x"))
	delete(web, "dist/myoseg.wasm")
	_, err := newSite(web, testModel)
	if err == nil || err.Error() != "web/dist/myoseg.wasm missing: run `make run`" {
		t.Errorf("err = %v", err)
	}
	if _, err := newSite(testWeb(t, []byte("x")), modelFile{}); err == nil {
		t.Error("a site without a model was built")
	}
}

func TestServe(t *testing.T) {
	s, wasm := newTestSite(t)
	tests := []struct {
		name, method, path, acceptEnc string
		status                        int
		ctype, encoding               string
		body                          []byte // nil: not checked
	}{
		{"page", "GET", "/", "", 200, "text/html; charset=utf-8", "", nil},
		{"wasm plain", "GET", "/dist/myoseg.wasm", "", 200, "application/wasm", "", wasm},
		{"wasm gzip", "GET", "/dist/myoseg.wasm", "gzip, deflate", 200, "application/wasm", "gzip", nil},
		{"wasm brotli preferred", "GET", "/dist/myoseg.wasm", "gzip, deflate, br", 200, "application/wasm", "br", nil},
		{"brotli refused by q=0", "GET", "/dist/myoseg.wasm", "br;q=0, gzip", 200, "application/wasm", "gzip", nil},
		{"identity only", "GET", "/dist/myoseg.wasm", "identity", 200, "application/wasm", "", wasm},
		{"model", "GET", "/models/m-v1.onnx", "", 200, "application/octet-stream", "", []byte("onnx bytes")},
		{"model card", "GET", "/models/m-v1.md", "", 200, "text/plain; charset=utf-8", "", []byte("# card")},
		{"head", "HEAD", "/app.js", "", 200, "text/javascript; charset=utf-8", "", []byte{}},
		{"post", "POST", "/", "", 405, "", "", nil},
		{"put", "PUT", "/models/m-v1.onnx", "", 405, "", "", nil},
		{"directory", "GET", "/dist/", "", 404, "", "", nil},
		{"directory without slash", "GET", "/dist", "", 404, "", "", nil},
		{"traversal", "GET", "/../server.go", "", 404, "", "", nil},
		{"encoded traversal", "GET", "/dist/..%2f..%2fgo.mod", "", 404, "", "", nil},
		{"precompressed file itself", "GET", "/dist/myoseg.wasm.gz", "", 404, "", "", nil},
		{"unknown type not served", "GET", "/notes.bak", "", 404, "", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "http://localhost"+tc.path, nil)
			if tc.acceptEnc != "" {
				req.Header.Set("Accept-Encoding", tc.acceptEnc)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			res := w.Result()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			h := res.Header
			for _, k := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
				if h.Get(k) == "" {
					t.Errorf("%s missing", k)
				}
			}
			if tc.status == 405 && h.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q", h.Get("Allow"))
			}
			if tc.status != 200 {
				return
			}
			if h.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", h.Get("Content-Type"), tc.ctype)
			}
			if h.Get("Content-Encoding") != tc.encoding {
				t.Errorf("Content-Encoding %q, want %q", h.Get("Content-Encoding"), tc.encoding)
			}
			if h.Get("Cache-Control") != "no-cache" || h.Get("ETag") == "" {
				t.Errorf("caching headers: %q, ETag %q", h.Get("Cache-Control"), h.Get("ETag"))
			}
			body, _ := io.ReadAll(res.Body)
			switch tc.encoding {
			case "gzip":
				body = mustRead(t, gzipReader(t, body))
			case "br":
				body = mustRead(t, brotli.NewReader(bytes.NewReader(body)))
			}
			if tc.body != nil && !bytes.Equal(body, tc.body) {
				t.Errorf("body %d bytes, want %d", len(body), len(tc.body))
			}
		})
	}
}

func gzipReader(t *testing.T, b []byte) io.Reader {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustRead(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSecurityHeaders(t *testing.T) {
	s, _ := newTestSite(t)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	h := w.Result().Header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "'wasm-unsafe-eval'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %s: %s", want, csp)
		}
	}
	for _, bad := range []string{"'unsafe-eval'", "'unsafe-inline'", "*"} {
		if strings.Contains(strings.ReplaceAll(csp, "'wasm-unsafe-eval'", ""), bad) {
			t.Errorf("CSP allows %s: %s", bad, csp)
		}
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers: %v", h)
	}
}

func TestConditionalGet(t *testing.T) {
	s, _ := newTestSite(t)
	get := func(inm, ae string) *http.Response {
		req := httptest.NewRequest("GET", "/dist/myoseg.wasm", nil)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		req.Header.Set("Accept-Encoding", ae)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w.Result()
	}
	br := get("", "br").Header.Get("ETag")
	gz := get("", "gzip").Header.Get("ETag")
	if br == gz || br == "" {
		t.Fatalf("encodings share ETag %q / %q", br, gz)
	}
	if res := get(br, "br"); res.StatusCode != 304 {
		t.Errorf("matching ETag: status %d, want 304", res.StatusCode)
	}
	if res := get(br, "gzip"); res.StatusCode != 200 {
		t.Errorf("ETag of the brotli body on a gzip request: status %d, want 200", res.StatusCode)
	}
}

func TestStalePrecompressedDropped(t *testing.T) {
	web := testWeb(t, []byte("new wasm build"))
	// .gz/.br left from an older build: serving them would run old code.
	old := testWeb(t, []byte("old wasm build"))
	web["dist/myoseg.wasm.gz"] = old["dist/myoseg.wasm.gz"]
	web["dist/myoseg.wasm.br"] = old["dist/myoseg.wasm.br"]
	s, err := newSite(web, testModel)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/dist/myoseg.wasm", nil)
	req.Header.Set("Accept-Encoding", "br, gzip")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if enc := w.Result().Header.Get("Content-Encoding"); enc == "br" {
		t.Error("stale brotli file served")
	}
	body := w.Body.Bytes()
	if w.Result().Header.Get("Content-Encoding") == "gzip" {
		body = mustRead(t, gzipReader(t, body))
	}
	if string(body) != "new wasm build" {
		t.Errorf("served %q", body)
	}
}

func TestServiceWorkerAndModelIndex(t *testing.T) {
	s, _ := newTestSite(t)
	get := func(p string) []byte {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", p, nil))
		return w.Body.Bytes()
	}
	sw := string(get("/sw.js"))
	if !regexp.MustCompile(`const VERSION = "[0-9a-f]{16}"`).MatchString(sw) {
		t.Errorf("sw.js version not filled in: %s", sw)
	}
	for _, p := range []string{`"./"`, `"./dist/myoseg.wasm"`, `"./models/m-v1.onnx"`, `"./models/index.json"`, `"./app.js"`} {
		if !strings.Contains(sw, p) {
			t.Errorf("sw.js does not precache %s: %s", p, sw)
		}
	}
	var idx modelIndex
	if err := json.Unmarshal(get("/models/index.json"), &idx); err != nil {
		t.Fatal(err)
	}
	if idx.Name != "m-v1" || idx.URL != "models/m-v1.onnx" || idx.Size != 10 || len(idx.SHA256) != 64 || idx.Card != "models/m-v1.md" {
		t.Errorf("index = %+v", idx)
	}
	// A new build (another wasm) gives the service worker another version.
	other, err := newSite(testWeb(t, []byte("other build")), testModel)
	if err != nil {
		t.Fatal(err)
	}
	if other.version == s.version {
		t.Error("service worker version did not change with the wasm")
	}
}

func TestAcceptsEncoding(t *testing.T) {
	tests := []struct {
		header, coding string
		want           bool
	}{
		{"gzip, br", "br", true},
		{"gzip", "br", false},
		{"br;q=0", "br", false},
		{"BR;Q=0.5", "br", true},
		{"*", "br", true},
		{"*;q=0, gzip", "br", false},
		{"br;q=0, *", "br", false},
		{"", "gzip", false},
	}
	for _, tc := range tests {
		if got := acceptsEncoding(tc.header, tc.coding); got != tc.want {
			t.Errorf("acceptsEncoding(%q, %q) = %v", tc.header, tc.coding, got)
		}
	}
}

// syncWriter lets the test read what serve prints while it runs.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestServeListensOnLoopbackAndStops(t *testing.T) {
	s, _ := newTestSite(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncWriter{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, "127.0.0.1:0", s, out) }()
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	deadline := time.Now().Add(5 * time.Second)
	for !url.MatchString(out.String()) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	u := url.FindString(out.String())
	if u == "" {
		t.Fatalf("no URL printed: %q", out.String())
	}
	res, err := http.Get(u + "models/index.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("GET index: %d", res.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after its context ended", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestRunServeFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runServe([]string{"--nope"}, &out, &errb); code != 2 {
		t.Errorf("unknown flag: exit %d", code)
	}
	if code := runServe([]string{"extra"}, &out, &errb); code != 2 {
		t.Errorf("stray argument: exit %d", code)
	}
	errb.Reset()
	if code := runServe([]string{"--addr", "256.0.0.1:1"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "listen") {
		// Without a built wasm the error is the missing wasm instead; both are refusals.
		if !strings.Contains(errb.String(), "make run") {
			t.Errorf("bad address: exit %d, %q", code, errb.String())
		}
	}
}

// TestHiddenNamesNotServed: names starting with "." or "_", and anything
// under such a folder, are left out of the site (all:web embeds them).
func TestHiddenNamesNotServed(t *testing.T) {
	s, _ := newTestSite(t)
	for _, p := range []string{"/.secret.js", "/_draft.html", "/dist/.cache/x.js", "/_old/app.js"} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", p, nil))
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, w.Code)
		}
		if _, ok := s.assets[p]; ok {
			t.Errorf("%s is in the site", p)
		}
	}
	if _, ok := s.assets["/app.js"]; !ok {
		t.Error("app.js left out")
	}
}

// startServe runs serve on a free loopback port until the test ends and
// returns host:port.
func startServe(t *testing.T) string {
	t.Helper()
	s, _ := newTestSite(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncWriter{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, "127.0.0.1:0", s, out) }()
	t.Cleanup(func() { cancel(); <-done })
	addr := regexp.MustCompile(`127\.0\.0\.1:\d+`)
	deadline := time.Now().Add(5 * time.Second)
	for !addr.MatchString(out.String()) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	a := addr.FindString(out.String())
	if a == "" {
		t.Fatalf("no address printed: %q", out.String())
	}
	return a
}

// rawExchange writes req on a fresh connection and returns the first
// response and whatever else the server sent before closing (nil error
// from the read to EOF means the server closed the connection).
func rawExchange(t *testing.T, addr, req string) (*http.Response, []byte, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the response to %q: %v", req, err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	rest, err := io.ReadAll(br)
	return res, rest, err
}

// TestBodyRefusedAndConnectionClosed: a request carrying a body (by
// Content-Length or Transfer-Encoding) gets 400 (GET, HEAD) or 405 with the
// security headers, and the connection is closed, so a request smuggled in
// the body is never answered.
func TestBodyRefusedAndConnectionClosed(t *testing.T) {
	addr := startServe(t)
	smuggled := "GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n"
	cases := []struct {
		name, req string
		code      int
	}{
		{"GET with Content-Length", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: " + itoa(len(smuggled)) + "\r\n\r\n" + smuggled, 400},
		{"GET chunked", "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, 400},
		{"HEAD with Content-Length", "HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" + smuggled, 400},
		{"POST", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + smuggled, 405},
		{"PUT chunked", "PUT /app.js HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + smuggled, 405},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, rest, err := rawExchange(t, addr, c.req)
			if res.StatusCode != c.code {
				t.Errorf("status %d, want %d", res.StatusCode, c.code)
			}
			if res.Header.Get("Content-Security-Policy") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("security headers missing: %v", res.Header)
			}
			if !res.Close {
				t.Error("response does not say Connection: close")
			}
			if err != nil || len(rest) != 0 {
				t.Errorf("connection not closed after the refusal (read %q, %v)", rest, err)
			}
		})
	}
	// A plain GET still keeps the connection open: the next request on it
	// is answered.
	res, rest, err := rawExchange(t, addr, smuggled+"GET /app.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if res.StatusCode != 200 || res.Close || err != nil || !bytes.HasPrefix(rest, []byte("HTTP/1.1 200 OK")) {
		t.Errorf("two plain GETs: %d, close %v, then %.20q (%v); want 200 twice", res.StatusCode, res.Close, rest, err)
	}
}

// TestOptionsStar: "OPTIONS *" gets 405 with the security headers, not
// net/http's bare 200.
func TestOptionsStar(t *testing.T) {
	addr := startServe(t)
	res, _, _ := rawExchange(t, addr, "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("OPTIONS *: %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	for k, v := range securityHeaders {
		if res.Header.Get(k) != v {
			t.Errorf("OPTIONS *: %s = %q, want %q", k, res.Header.Get(k), v)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
