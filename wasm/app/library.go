package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hack-pad/hackpadfs"

	"myoseg/core/nn/engine/open"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/nn/onnxpb"
)

// The model library: the models kept in this browser beside the server's
// (adapted here, or added from an .onnx file), in the same file system as
// the session (IndexedDB in the browser), so one place holds both the bytes
// and the list:
//
//	/library/<sha256>.onnx   the model file, named by its SHA-256
//	/library/index.json      []StoredModel: name, parent, images, date, card
//
// Only one worker writes it (the page sends every change to the same one);
// the others read a model's file when they load it. The session's
// /models/ folder stays what it was: the cached copy of the server's model.
const (
	libDir   = "library"
	libIndex = "library/index.json"
)

// Metadata keys an adapted model carries (core/nn/train's Key*; named here
// so that the trainer stays out of the main app's wasm, checked by a test).
const (
	keyParent     = "myoseg.parent"
	keyAdaptedOn  = "myoseg.adapted_on"
	keyAdaptedN   = "myoseg.adapted_images"
	keyDiceBefore = "myoseg.heldout_dice_before"
	keyDiceAfter  = "myoseg.heldout_dice_after"
)

// StoredModel is one model of the library as the page lists it.
type StoredModel struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	// Origin: "adapted" (in this browser), "file" (dragged in or picked),
	// "migrated" (adopted before the library existed).
	Origin string `json:"origin"`
	File   string `json:"file,omitempty"`   // the file it was added from
	Parent string `json:"parent,omitempty"` // the model it was adapted from
	// Date: the day it was adapted (its metadata), else the day it was added.
	Date  string `json:"date"`
	Added string `json:"added"` // when it was stored here (RFC 3339)
	// Images: the names of the images it was adapted on, when this browser
	// adapted it; ImageCount also when only the metadata says how many.
	Images     []string `json:"images,omitempty"`
	ImageCount int      `json:"imageCount,omitempty"`
	HeldOut    string   `json:"heldOut,omitempty"` // held-out Dice "0.7450 → 0.9770"
	Card       string   `json:"card"`              // the model card (Markdown)
	TrainedOn  string   `json:"trainedOn"`
	Warning    string   `json:"warning"`
	InputH     int      `json:"inputH"`
	InputW     int      `json:"inputW"`
	Bytes      int      `json:"bytes"`
	// Problem is set by StoredModels when the entry's file is missing or
	// has the wrong size: the entry cannot be used, only deleted.
	Problem string `json:"problem,omitempty"`
}

// OpenLibrary keeps the model library in fsys (the session's file system).
func (a *App) OpenLibrary(fsys hackpadfs.FS) error {
	if err := hackpadfs.MkdirAll(fsys, libDir, 0o755); err != nil {
		return fmt.Errorf("model library: create %s: %w", libDir, err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lib = fsys
	return nil
}

// CheckModel validates an .onnx file as the server does (onnxmodel.Parse,
// whose error names the file, and the node and why for a refused graph)
// and compiles it for this browser's engine; it stores and loads nothing.
// The entry it returns describes the model from its metadata.
func CheckModel(file string, data []byte) (StoredModel, error) {
	m, err := onnxmodel.Parse(file, data)
	if err != nil {
		return StoredModel{}, err // verbatim: the page shows it as it is
	}
	if _, err := open.Engine(open.Fast, m, 1); err != nil {
		return StoredModel{}, fmt.Errorf("model: %s: this browser's engine cannot run it: %w", file, err)
	}
	i := m.Info
	e := StoredModel{Name: i.Name, SHA256: i.SHA256, File: file, TrainedOn: i.TrainedOn, Warning: i.Warning,
		InputH: i.InputH, InputW: i.InputW, Bytes: len(data)}
	if e.Name == "" {
		e.Name = strings.TrimSuffix(path.Base(file), path.Ext(file))
	}
	if mp, err := onnxpb.Read(data); err == nil { // Parse read it already
		md := mp.Metadata
		e.Parent, e.Date = md[keyParent], md[keyAdaptedOn]
		e.ImageCount, _ = strconv.Atoi(md[keyAdaptedN])
		if md[keyDiceBefore] != "" && md[keyDiceAfter] != "" {
			e.HeldOut = md[keyDiceBefore] + " → " + md[keyDiceAfter]
		}
	}
	return e, nil
}

// ModelRef names a model the server offers (models/index.json).
type ModelRef struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// AddModel validates data (CheckModel) and stores it in the library with
// what the page knows about it (meta: origin, file, images, card, and for
// an adapted model its date); the metadata in the file fills the rest. A
// model already stored or served, or another model of the same name as one
// of those (results name their model), is refused with the reason; nothing
// is written then.
func (a *App) AddModel(file string, data []byte, meta StoredModel, served []ModelRef, now time.Time) (StoredModel, error) {
	e, err := CheckModel(file, data)
	if err != nil {
		return StoredModel{}, err
	}
	for _, o := range served {
		switch {
		case o.SHA256 == e.SHA256:
			return StoredModel{}, fmt.Errorf("model: %s: this is %s, which the server offers: it is listed already", file, o.Name)
		case o.Name == e.Name:
			return StoredModel{}, fmt.Errorf("model: %s: the server offers another model called %s; results name the model that made them, so give this one another myoseg.name", file, e.Name)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	list, err := a.readIndex()
	if err != nil {
		return StoredModel{}, err
	}
	for _, o := range list {
		switch {
		case o.SHA256 == e.SHA256:
			return StoredModel{}, fmt.Errorf("model: %s: this model is already stored in this browser as %s (added %s)", file, o.Name, o.Added[:min(10, len(o.Added))])
		case o.Name == e.Name:
			return StoredModel{}, fmt.Errorf("model: %s: another model called %s is already stored in this browser (SHA-256 %.12s…, this one %.12s…); results name the model that made them, so delete the stored one first or give this one another myoseg.name", file, e.Name, o.SHA256, e.SHA256)
		}
	}
	e.Origin = meta.Origin
	if e.Origin == "" {
		e.Origin = "file"
	}
	if meta.File != "" {
		e.File = meta.File
	}
	if meta.Parent != "" && e.Parent == "" {
		e.Parent = meta.Parent
	}
	if e.Date == "" {
		e.Date = meta.Date
	}
	if e.Date == "" {
		e.Date = now.Format("2006-01-02")
	}
	e.Added = now.UTC().Format(time.RFC3339)
	e.Images = meta.Images
	if len(e.Images) > e.ImageCount {
		e.ImageCount = len(e.Images)
	}
	e.Card = meta.Card
	if strings.TrimSpace(e.Card) == "" {
		e.Card = defaultCard(e)
	}
	if err := hackpadfs.WriteFullFile(a.lib, libFile(e.SHA256), data, 0o644); err != nil {
		return StoredModel{}, fmt.Errorf("model library: store %s: %w", e.Name, err)
	}
	if err := a.writeIndex(append(list, e)); err != nil {
		hackpadfs.Remove(a.lib, libFile(e.SHA256)) // the list is the truth: no orphan file
		return StoredModel{}, err
	}
	return e, nil
}

// defaultCard is the card of a model that came without one: what its
// metadata says, and where it came from.
func defaultCard(e StoredModel) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", e.Name)
	switch e.Origin {
	case "migrated":
		fmt.Fprintf(&b, "Adopted in this browser before models were listed; its original card was not kept.\n\n")
	default:
		fmt.Fprintf(&b, "Added to this browser from the file %s on %s. The file came without a model card; this one repeats its metadata.\n\n", e.File, e.Date)
	}
	b.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Trained on | %s |\n", e.TrainedOn)
	if e.Parent != "" {
		fmt.Fprintf(&b, "| Parent | %s |\n", e.Parent)
	}
	if e.ImageCount > 0 {
		fmt.Fprintf(&b, "| Adapted on | %d images |\n", e.ImageCount)
	}
	if e.HeldOut != "" {
		fmt.Fprintf(&b, "| Held-out Dice | %s |\n", e.HeldOut)
	}
	fmt.Fprintf(&b, "| Input | 1×1×%d×%d |\n| SHA-256 | %s |\n", e.InputH, e.InputW, e.SHA256)
	if e.Warning != "" {
		fmt.Fprintf(&b, "\n**Warning:** %s\n", e.Warning)
	}
	return b.String()
}

// StoredModels lists the library, oldest first; an entry whose file is
// missing or of the wrong size says so in Problem (the full SHA-256 check
// is done when the file is read).
func (a *App) StoredModels() ([]StoredModel, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	list, err := a.readIndex()
	if err != nil {
		return nil, err
	}
	for i := range list {
		e := &list[i]
		st, err := hackpadfs.Stat(a.lib, libFile(e.SHA256))
		switch {
		case err != nil:
			e.Problem = missingProblem
		case st.Size() != int64(e.Bytes):
			e.Problem = fmt.Sprintf("its file in this browser's storage is corrupted (%d bytes, want %d)", st.Size(), e.Bytes)
		}
	}
	return list, nil
}

const missingProblem = "its file is missing from this browser's storage (IndexedDB)"

// StoredModel returns the file of the stored model with this SHA-256,
// checked against it: a missing or corrupted file is an error naming the
// model, and changes nothing.
func (a *App) StoredModel(sha string) ([]byte, StoredModel, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.storedModel(sha)
}

func (a *App) storedModel(sha string) ([]byte, StoredModel, error) {
	list, err := a.readIndex()
	if err != nil {
		return nil, StoredModel{}, err
	}
	var e StoredModel
	for _, o := range list {
		if o.SHA256 == sha {
			e = o
		}
	}
	if e.SHA256 == "" {
		return nil, StoredModel{}, fmt.Errorf("model library: no stored model has SHA-256 %.12s… (deleted in another tab?)", sha)
	}
	data, err := a.libBytes(sha)
	if err != nil {
		return nil, e, fmt.Errorf("stored model %s: %w; delete it from this browser and add its .onnx again", e.Name, err)
	}
	return data, e, nil
}

// libBytes reads library/<sha>.onnx and checks its SHA-256.
func (a *App) libBytes(sha string) ([]byte, error) {
	if a.lib == nil {
		return nil, errors.New("this browser has no model library")
	}
	if !hexName(sha) {
		return nil, fmt.Errorf("bad SHA-256 %q", sha)
	}
	data, err := hackpadfs.ReadFile(a.lib, libFile(sha))
	if err != nil || len(data) == 0 {
		return nil, errors.New(missingProblem)
	}
	if got := onnxmodel.SHA256(data); got != sha {
		return nil, fmt.Errorf("its file in this browser's storage is corrupted (SHA-256 %.12s…, want %.12s…)", got, sha)
	}
	return data, nil
}

// DeleteModel removes a stored model: its file and its entry. The model
// this worker uses is refused (the page offers the button only for the
// others); results it made keep its name and SHA-256 in their records.
func (a *App) DeleteModel(sha string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	list, err := a.readIndex()
	if err != nil {
		return err
	}
	i := -1
	for j, o := range list {
		if o.SHA256 == sha {
			i = j
		}
	}
	if i < 0 {
		return fmt.Errorf("model library: no stored model has SHA-256 %.12s…", sha)
	}
	if a.seg != nil && a.info.SHA256 == sha {
		return fmt.Errorf("model library: %s is the model in use; switch to another one first", list[i].Name)
	}
	if err := a.writeIndex(append(list[:i:i], list[i+1:]...)); err != nil {
		return err
	}
	if err := hackpadfs.Remove(a.lib, libFile(sha)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("model library: delete %s: %w", list[i].Name, err)
	}
	delete(a.earlier, sha)
	return nil
}

// LoadStored makes the stored model with this SHA-256 the one that
// segments new images. fetch, when not nil, gets a copy of its bytes the
// page already read and checked through another worker (ModelRequest.Bytes);
// without it the file is read from the library. Either way the bytes must
// have that SHA-256, and on any error the current model stays.
func (a *App) LoadStored(ctx context.Context, sha string, fetch Fetcher) (ModelInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	start := time.Now()
	if fetch == nil {
		data, e, err := a.storedModel(sha)
		if err != nil {
			return ModelInfo{}, err
		}
		m, err := onnxmodel.Parse(e.Name+".onnx", data)
		if err != nil {
			return ModelInfo{}, err
		}
		return a.use(m, "library", start)
	}
	name := fmt.Sprintf("stored model %.12s…", sha)
	if list, err := a.readIndex(); err == nil {
		for _, o := range list {
			if o.SHA256 == sha {
				name = "stored model " + o.Name
			}
		}
	}
	data, err := fetch(ctx)
	if err != nil {
		return ModelInfo{}, fmt.Errorf("%s: %w", name, err)
	}
	m, err := onnxmodel.ParseSHA256(strings.TrimPrefix(name, "stored model ")+".onnx", data, sha)
	if mm := (*onnxmodel.MismatchError)(nil); errors.As(err, &mm) {
		return ModelInfo{}, fmt.Errorf("%s: the copy handed over has SHA-256 %.12s…, want %.12s…", name, mm.Got, sha)
	} else if err != nil {
		return ModelInfo{}, err
	}
	return a.use(m, "library", start)
}

// ImportAdopted moves a model adopted before the library existed (kept
// under its name in the session's /models/ folder, the page's
// 'myoseg.adoptedModel' entry) into the library, once. It is a no-op when
// the library has it already.
func (a *App) ImportAdopted(name, sha string, now time.Time) (StoredModel, error) {
	a.mu.Lock()
	list, err := a.readIndex()
	var data []byte
	if err == nil {
		for _, o := range list {
			if o.SHA256 == sha {
				a.mu.Unlock()
				return o, nil
			}
		}
		_, data, err = a.store.Model(name)
	}
	a.mu.Unlock()
	if err != nil {
		return StoredModel{}, fmt.Errorf("the model adopted earlier, %s: %w", name, err)
	}
	if got := onnxmodel.SHA256(data); got != sha {
		return StoredModel{}, fmt.Errorf("the model adopted earlier, %s: the stored copy has SHA-256 %.12s…, want %.12s… (replaced since)", name, got, sha)
	}
	return a.AddModel(name+".onnx", data, StoredModel{Origin: "migrated"}, nil, now)
}

func (a *App) readIndex() ([]StoredModel, error) {
	if a.lib == nil {
		return nil, errors.New("this browser has no model library")
	}
	data, err := hackpadfs.ReadFile(a.lib, libIndex)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("model library: %s: %w", libIndex, err)
	}
	var list []StoredModel
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("model library: %s is corrupted: %w", libIndex, err)
	}
	return list, nil
}

func (a *App) writeIndex(list []StoredModel) error {
	sort.SliceStable(list, func(i, j int) bool { return list[i].Added < list[j].Added })
	if list == nil {
		list = []StoredModel{}
	}
	data, err := json.MarshalIndent(list, "", " ")
	if err != nil {
		return fmt.Errorf("model library: %w", err)
	}
	if err := hackpadfs.WriteFullFile(a.lib, libIndex, data, 0o644); err != nil {
		return fmt.Errorf("model library: write %s: %w", libIndex, err)
	}
	return nil
}

func libFile(sha string) string { return path.Join(libDir, sha+".onnx") }

func hexName(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ModelRequest is the page's "model" message: which model segments new
// images from now on.
type ModelRequest struct {
	Name   string `json:"name"`
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
	// Stored: a model of the library, by SHA256. Bytes, when set, is a copy
	// of its file the page read through the library's worker (so that every
	// worker runs the same bytes, whatever its own storage holds); without
	// it the worker reads the library. (The page's content security policy
	// allows no fetch of blob: URLs, so the copy travels in the message.)
	Stored bool   `json:"stored"`
	Bytes  []byte `json:"-"`
	// Adopted: Stored, but adopted before the library existed: moved into
	// it first (ImportAdopted).
	Adopted bool `json:"adopted"`
	// Fallback is loaded instead when the stored model cannot be (its file
	// missing or corrupted, or gone from the library): the server's model,
	// so that the page starts and says why.
	Fallback *ModelRequest `json:"fallback"`
}

// Getter downloads url (the shim's fetch).
type Getter func(ctx context.Context, url string) ([]byte, error)

// Load loads what req asks for. When a stored model cannot be loaded and
// req has a fallback that can, it returns the fallback's info and, as
// fellBack, why the stored one could not.
func (a *App) Load(ctx context.Context, req ModelRequest, get Getter, now time.Time) (info ModelInfo, fellBack string, err error) {
	fetch := func(url string) Fetcher {
		if url == "" || get == nil {
			return nil
		}
		return func(ctx context.Context) ([]byte, error) { return get(ctx, url) }
	}
	if !req.Stored {
		info, err = a.LoadModel(ctx, req.Name, req.SHA256, fetch(req.URL))
		return info, "", err
	}
	if req.Adopted {
		_, err = a.ImportAdopted(req.Name, req.SHA256, now)
	}
	if err == nil {
		var given Fetcher
		if req.Bytes != nil {
			given = func(context.Context) ([]byte, error) { return req.Bytes, nil }
		}
		info, err = a.LoadStored(ctx, req.SHA256, given)
	}
	if err == nil || req.Fallback == nil || req.Fallback.Stored {
		return info, "", err
	}
	info, ferr := a.LoadModel(ctx, req.Fallback.Name, req.Fallback.SHA256, fetch(req.Fallback.URL))
	if ferr != nil {
		return ModelInfo{}, "", fmt.Errorf("%w; and the server's model: %w", err, ferr)
	}
	return info, err.Error(), nil
}
