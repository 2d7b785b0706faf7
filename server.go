package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/andybalholm/brotli"

	"myoseg/core/nn/onnxmodel"
	"myoseg/models"
)

// The page, the service worker and web/dist (the wasm and wasm_exec.js, built
// by `make run`). web/dist is gitignored: the pattern still compiles without
// it, and newSite refuses to start when the wasm is missing.
//
//go:embed all:web
var embeddedWeb embed.FS

const wasmPath = "dist/myoseg.wasm"

// Security headers sent with every response. The page needs nothing beyond
// its own origin; 'wasm-unsafe-eval' lets it compile WebAssembly.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
		"worker-src 'self'; connect-src 'self'; img-src 'self'; style-src 'self'; " +
		"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options":       "nosniff",
	"Referrer-Policy":              "no-referrer",
	"X-Frame-Options":              "DENY",
	"Cross-Origin-Opener-Policy":   "same-origin",
	"Cross-Origin-Resource-Policy": "same-origin",
	"Permissions-Policy":           "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}

// contentTypes is explicit rather than mime.TypeByExtension so the answer does
// not depend on the host's /etc/mime.types (application/wasm must be exact).
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".wasm":        "application/wasm",
	".onnx":        "application/octet-stream",
	".md":          "text/plain; charset=utf-8", // the model card: shown as text, not downloaded
	".txt":         "text/plain; charset=utf-8",
	".webmanifest": "application/manifest+json",
}

// asset is one servable file with its precomputed encodings.
type asset struct {
	body, gz, br []byte
	ctype        string
	etag         string // strong ETag of the identity body; encodings get a suffix
}

// site is the whole app, in memory: URL path → asset.
type site struct {
	assets  map[string]*asset
	version string // hash of every asset; names the service worker's cache
}

// modelFile is the model the app loads, with its card.
type modelFile struct {
	Name     string // e.g. myoseg-unet-phantom-v4
	Data     []byte // the .onnx file
	CardName string // e.g. myoseg-unet-phantom-v4.md; "" when there is no card
	Card     []byte
}

// modelIndex is /models/index.json: which model the page should load.
type modelIndex struct {
	Name   string `json:"name"`
	URL    string `json:"url"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
	Card   string `json:"card,omitempty"`
	// Models lists every model served (the default first) when serve was
	// given others with --model.
	Models []modelIndex `json:"models,omitempty"`
}

// newSite builds the asset table from web (the embedded web/ directory) and
// the model. It fails when the wasm has not been built.
func newSite(web fs.FS, m modelFile, others ...modelFile) (*site, error) {
	if _, err := fs.Stat(web, wasmPath); err != nil {
		return nil, fmt.Errorf("web/%s missing: run `make run`", wasmPath)
	}
	if _, err := fs.Stat(web, "dist/wasm_exec.js"); err != nil {
		return nil, errors.New("web/dist/wasm_exec.js missing: run `make run`")
	}
	if m.Name == "" || len(m.Data) == 0 {
		return nil, errors.New("serve: no model embedded (package models returned nothing)")
	}
	s := &site{assets: map[string]*asset{}}
	raw := map[string][]byte{}
	err := fs.WalkDir(web, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != "." && hiddenName(d.Name()) {
			// all:web embeds dot files and _ files too (editor backups,
			// .DS_Store, _drafts): never part of the app, never served.
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(web, p)
		if err != nil {
			return fmt.Errorf("serve: read web/%s: %w", p, err)
		}
		raw[p] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	for p, data := range raw {
		if strings.HasSuffix(p, ".gz") || strings.HasSuffix(p, ".br") {
			continue // served as an encoding of the file beside it
		}
		ctype, ok := contentTypes[path.Ext(p)]
		if !ok {
			continue // tests, notes, anything that is not part of the app
		}
		a := &asset{body: data, ctype: ctype}
		a.gz = precompressed(raw[p+".gz"], data, gunzip)
		a.br = precompressed(raw[p+".br"], data, unbrotli)
		s.assets["/"+p] = a
	}
	sw, ok := s.assets["/sw.js"]
	if !ok {
		return nil, errors.New("serve: web/sw.js missing")
	}
	if _, ok := s.assets["/index.html"]; !ok {
		return nil, errors.New("serve: web/index.html missing")
	}

	idx := s.addModel(m)
	if len(others) > 0 {
		idx.Models = []modelIndex{idx}
		for _, o := range others {
			idx.Models = append(idx.Models, s.addModel(o))
		}
	}
	idxJSON, err := json.Marshal(idx)
	if err != nil {
		return nil, fmt.Errorf("serve: model index: %w", err)
	}
	s.assets["/models/index.json"] = &asset{body: idxJSON, ctype: contentTypes[".json"]}

	// The service worker names its cache after a hash of everything it
	// precaches, so a new build replaces the old cache; sw.js itself carries
	// the hash so the browser notices the change (it compares sw.js bytes).
	paths := make([]string, 0, len(s.assets))
	for p := range s.assets {
		if p != "/sw.js" {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	h := sha256.New()
	for _, p := range paths {
		b := sha256.Sum256(s.assets[p].body)
		fmt.Fprintf(h, "%s %x\n", p, b)
	}
	s.version = hex.EncodeToString(h.Sum(nil))[:16]
	precache := []string{"./"}
	for _, p := range paths {
		if p == "/index.html" {
			continue // "./" is the page
		}
		precache = append(precache, "."+p)
	}
	list, _ := json.Marshal(precache)
	body := bytes.Replace(sw.body, []byte(`"__VERSION__"`), []byte(strconv.Quote(s.version)), 1)
	body = bytes.Replace(body, []byte(`["__PRECACHE__"]`), list, 1)
	s.assets["/sw.js"] = &asset{body: body, ctype: sw.ctype}

	for _, a := range s.assets {
		a.etag = etagOf(a.body)
		if a.gz == nil && len(a.body) > 1024 && compressible(a.ctype) {
			a.gz = gzipBytes(a.body)
		}
	}
	return s, nil
}

// hiddenName: names Go's embed leaves out by default, which the site leaves
// out too.
func hiddenName(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.HasPrefix(ctype, "application/json") ||
		ctype == "image/svg+xml" || ctype == "application/wasm" || ctype == "application/octet-stream"
}

// precompressed returns enc when it decodes to exactly body; a stale .gz or
// .br (left from an older build) is dropped rather than served.
func precompressed(enc, body []byte, decode func([]byte) ([]byte, error)) []byte {
	if enc == nil {
		return nil
	}
	dec, err := decode(enc)
	if err != nil || !bytes.Equal(dec, body) {
		return nil
	}
	return enc
}

func gunzip(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func unbrotli(b []byte) ([]byte, error) {
	return io.ReadAll(brotli.NewReader(bytes.NewReader(b)))
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// acceptsEncoding reports whether an Accept-Encoding header allows coding
// (q > 0, explicitly or through "*").
func acceptsEncoding(header, coding string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		switch {
		case strings.EqualFold(name, coding):
			return q > 0
		case name == "*":
			star = q > 0
		}
	}
	return star
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	for k, v := range securityHeaders {
		hdr.Set(k, v)
	}
	readOnly := r.Method == http.MethodGet || r.Method == http.MethodHead
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		// Nothing here takes a body. Refuse it unread and close the
		// connection, so no byte of it can be taken for a next request
		// (request smuggling through a front proxy that frames it otherwise).
		hdr.Set("Connection", "close")
		if readOnly {
			http.Error(w, "request body not accepted", http.StatusBadRequest)
			return
		}
	}
	if !readOnly {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// Lookup is by exact key in a table of files, so "..", encoded slashes and
	// directories can never reach anything else; they are simply not found.
	p := r.URL.Path
	if p == "/" {
		p = "/index.html"
	}
	a, ok := s.assets[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, etag := a.body, a.etag
	if a.gz != nil || a.br != nil {
		hdr.Set("Vary", "Accept-Encoding")
		ae := r.Header.Get("Accept-Encoding")
		switch {
		case a.br != nil && acceptsEncoding(ae, "br"):
			body, etag = a.br, etag+"-br"
			hdr.Set("Content-Encoding", "br")
		case a.gz != nil && acceptsEncoding(ae, "gzip"):
			body, etag = a.gz, etag+"-gz"
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	etag = `"` + etag + `"`
	hdr.Set("Content-Type", a.ctype)
	hdr.Set("ETag", etag)
	// Always revalidate (a 304 costs one round trip); offline use is the
	// service worker's job, so a new build is never hidden behind max-age.
	hdr.Set("Cache-Control", "no-cache")
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(body)
	}
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// runServe is the default command: serve the embedded app until interrupted.
func runServe(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("serve", flag.ContinueOnError)
	fset.SetOutput(stderr)
	addr := fset.String("addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	var extra modelPaths
	fset.Var(&extra, "model", "another ONNX model to serve beside the default, e.g. one adapted in the page (repeatable; listed in models/index.json; FILE.md beside it is its card)")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "usage: myoseg serve [--addr host:port] [--model FILE.onnx]...")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "serve: unexpected argument %q\n", fset.Arg(0))
		return 2
	}
	web, err := fs.Sub(embeddedWeb, "web")
	if err != nil {
		fmt.Fprintln(stderr, "serve:", err)
		return 1
	}
	m := defaultModel()
	others, err := readModelFiles(extra, m.Name)
	if err != nil {
		fmt.Fprintln(stderr, "myoseg:", err)
		return 2
	}
	s, err := newSite(web, m, others...)
	if err != nil {
		fmt.Fprintln(stderr, "myoseg:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, *addr, s, stdout); err != nil {
		fmt.Fprintln(stderr, "myoseg:", err)
		return 1
	}
	return 0
}

// addModel serves a model and its card under /models/ and returns its
// index entry.
func (s *site) addModel(m modelFile) modelIndex {
	idx := modelIndex{
		Name:   m.Name,
		URL:    "models/" + m.Name + ".onnx",
		Size:   len(m.Data),
		SHA256: onnxmodel.SHA256(m.Data),
	}
	s.assets["/"+idx.URL] = &asset{body: m.Data, ctype: contentTypes[".onnx"]}
	if m.CardName != "" && len(m.Card) > 0 {
		idx.Card = "models/" + m.CardName
		s.assets["/"+idx.Card] = &asset{body: m.Card, ctype: contentTypes[".md"]}
	}
	return idx
}

func defaultModel() modelFile {
	name, data := models.Default()
	return modelFile{Name: name, Data: data, CardName: name + ".md", Card: models.DefaultCard()}
}

// serve listens on addr, prints the URL and serves s until ctx ends.
func serve(ctx context.Context, addr string, s *site, stdout io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: listen %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // a slow link still gets the wasm
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// "OPTIONS *" reaches ServeHTTP (405 with the security headers)
		// instead of net/http's bare 200.
		DisableGeneralOptionsHandler: true,
	}
	tcp := ln.Addr().(*net.TCPAddr)
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
		fmt.Fprintln(stdout, "myoseg: listening on all interfaces; offline mode (service worker) works only on localhost or behind HTTPS")
	}
	fmt.Fprintf(stdout, "myoseg: serving on http://%s/ (Ctrl-C to stop)\n", net.JoinHostPort(host, strconv.Itoa(tcp.Port)))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutCtx)
	}
}
