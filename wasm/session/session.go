// Package session is the browser app's storage: the downloaded model and
// every finished result (grey image, model mask, corrected mask, record), so
// that a reload restores the session and the app works offline. It writes
// through a hackpadfs.FS: IndexedDB in the browser (hackpadfs/indexeddb), an
// in-memory FS in tests.
//
// Layout:
//
//	/models/<name>.onnx              the model (only the current one is kept)
//	/session/patients.json           patients entered in the page
//	/session/<id>/item.json          file name, options, record, status
//	/session/<id>/gray.png           the 8-bit grey plane measurements use
//	/session/<id>/model-mask.png     the model's mask (0/255), for "reset"
//	/session/<id>/mask.png           the corrected mask, only when corrected
//	/session/<id>/source             the file as dropped (to run it again)
//
// hackpadfs rewrites a whole file on every write, so every file is written
// once, whole (hackpadfs.WriteFullFile), never appended to.
package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/hack-pad/hackpadfs"

	"myoseg/core/imaging/decode"
)

// Store reads and writes the session in a file system.
type Store struct {
	fs hackpadfs.FS
}

// New returns a Store on fsys, creating its folders.
func New(fsys hackpadfs.FS) (*Store, error) {
	for _, dir := range []string{"models", "session"} {
		if err := hackpadfs.MkdirAll(fsys, dir, 0o755); err != nil {
			return nil, fmt.Errorf("session: create %s: %w", dir, err)
		}
	}
	return &Store{fs: fsys}, nil
}

// Options are what the user chose for one image.
type Options struct {
	Muscle    string  `json:"muscle"`    // zscore.Muscle key; "" = unknown
	Side      string  `json:"side"`      // "left", "right" or ""
	PatientID string  `json:"patientId"` // key into the patients; "" = none
	CmPerPx   float64 `json:"cmPerPx"`   // user calibration; 0 = not given
	DepthCm   float64 `json:"depthCm"`
	Frame     int     `json:"frame"`
	// The exam (free text; the page fills in the DICOM values when present):
	// the report groups a patient's images into visits by ExamDate.
	ExamDate string `json:"examDate,omitempty"` // YYYY-MM-DD
	Operator string `json:"operator,omitempty"`
	Scanner  string `json:"scanner,omitempty"`
	Preset   string `json:"preset,omitempty"`
	// Accepted: a person looked at the model's mask and kept it, so it may
	// go into the training ZIP (WriteZip) as a corrected one does.
	Accepted bool `json:"accepted,omitempty"`
}

// Patient is one patient as entered in the page.
type Patient struct {
	ID       string  `json:"id"`
	AgeYears float64 `json:"age"`
	Sex      string  `json:"sex"` // "M" or "F"
	HeightCm float64 `json:"height"`
	WeightKg float64 `json:"weight"`
	Group    string  `json:"group"` // "Healthy", "Pathological" or "" (unknown)
}

// Image holds the facts about the decoded file that remeasuring needs
// (decode.Image without its pixels, which are in gray.png).
type Image struct {
	Format string            `json:"format"`
	Frames int               `json:"frames"`
	Frame  int               `json:"frame"`
	DICOM  *decode.DICOMInfo `json:"dicom,omitempty"`
}

// Item is one image of the session.
type Item struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`           // file name
	Path      string          `json:"path,omitempty"` // path inside a dropped folder
	Order     int64           `json:"order"`          // position in the table
	Status    string          `json:"status"`         // "done" or "error"
	Error     string          `json:"error,omitempty"`
	Options   Options         `json:"options"`
	Image     Image           `json:"image"`
	Field     [4]int          `json:"field"` // x0, y0, x1, y1 of the ultrasound field
	Corrected bool            `json:"corrected"`
	Model     string          `json:"model,omitempty"` // name of the model that made the mask
	Record    json.RawMessage `json:"record,omitempty"`
}

// Saved is an item with its pixels.
type Saved struct {
	Item
	Gray      *image.Gray // nil for an error item
	ModelMask *image.Gray
	Mask      *image.Gray // the current mask: corrected, else the model's
}

// safeName is the regexp ^[A-Za-z0-9_-]{1,max}$ (with '.' too when dot),
// by hand: regexp was the wasm's largest package after the report's
// template went (0.26 MB) for these two checks.
func safeName(s string, max int, dot bool) bool {
	if len(s) < 1 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' || dot && c == '.') {
			return false
		}
	}
	return true
}

func checkID(id string) error {
	if !safeName(id, 64, false) {
		return fmt.Errorf("session: bad item id %q", id)
	}
	return nil
}

func itemDir(id string) string { return path.Join("session", id) }

// Save writes an item. gray and modelMask are written only when not nil (they
// never change after segmentation); mask is written when the item is
// corrected and removed otherwise, so "reset" falls back to the model's mask.
func (s *Store) Save(it Item, gray, modelMask, mask *image.Gray) error {
	if err := checkID(it.ID); err != nil {
		return err
	}
	dir := itemDir(it.ID)
	if err := hackpadfs.MkdirAll(s.fs, dir, 0o755); err != nil {
		return fmt.Errorf("session: save %s: %w", it.Name, err)
	}
	for _, f := range []struct {
		name string
		img  *image.Gray
	}{{"gray.png", gray}, {"model-mask.png", modelMask}} {
		if f.img == nil {
			continue
		}
		if err := s.writePNG(path.Join(dir, f.name), f.img); err != nil {
			return fmt.Errorf("session: save %s: %w", it.Name, err)
		}
	}
	maskPath := path.Join(dir, "mask.png")
	if it.Corrected && mask != nil {
		if err := s.writePNG(maskPath, mask); err != nil {
			return fmt.Errorf("session: save %s: %w", it.Name, err)
		}
	} else if err := hackpadfs.Remove(s.fs, maskPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("session: save %s: remove old mask: %w", it.Name, err)
	}
	// item.json last: an item without it is incomplete and List skips it.
	return s.writeJSON(path.Join(dir, "item.json"), it)
}

func (s *Store) writePNG(name string, g *image.Gray) error {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, g); err != nil {
		return err
	}
	return hackpadfs.WriteFullFile(s.fs, name, buf.Bytes(), 0o644)
}

func (s *Store) writeJSON(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return hackpadfs.WriteFullFile(s.fs, name, data, 0o644)
}

// List returns the saved items (without pixels), in table order.
func (s *Store) List() ([]Item, error) {
	entries, err := hackpadfs.ReadDir(s.fs, "session")
	if err != nil {
		return nil, fmt.Errorf("session: list: %w", err)
	}
	var items []Item
	for _, e := range entries {
		if !e.IsDir() || checkID(e.Name()) != nil {
			continue
		}
		it, err := s.item(e.Name())
		if errors.Is(err, fs.ErrNotExist) {
			continue // interrupted before item.json was written
		}
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Order < items[j].Order })
	return items, nil
}

func (s *Store) item(id string) (Item, error) {
	var it Item
	data, err := hackpadfs.ReadFile(s.fs, path.Join(itemDir(id), "item.json"))
	if err != nil {
		return it, err
	}
	if err := json.Unmarshal(data, &it); err != nil {
		return it, fmt.Errorf("session: %s/item.json: %w", id, err)
	}
	return it, nil
}

// Load reads one item with its pixels.
func (s *Store) Load(id string) (*Saved, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	it, err := s.item(id)
	if err != nil {
		return nil, fmt.Errorf("session: load %s: %w", id, err)
	}
	sv := &Saved{Item: it}
	if it.Status != "done" {
		return sv, nil
	}
	dir := itemDir(id)
	if sv.Gray, err = s.readPNG(path.Join(dir, "gray.png")); err != nil {
		return nil, fmt.Errorf("session: load %s: %w", it.Name, err)
	}
	if sv.ModelMask, err = s.readPNG(path.Join(dir, "model-mask.png")); err != nil {
		return nil, fmt.Errorf("session: load %s: %w", it.Name, err)
	}
	sv.Mask = sv.ModelMask
	if it.Corrected {
		if sv.Mask, err = s.readPNG(path.Join(dir, "mask.png")); err != nil {
			return nil, fmt.Errorf("session: load %s: %w", it.Name, err)
		}
	}
	if sv.Mask.Bounds() != sv.Gray.Bounds() || sv.ModelMask.Bounds() != sv.Gray.Bounds() {
		return nil, fmt.Errorf("session: load %s: mask and image sizes differ", it.Name)
	}
	return sv, nil
}

// SaveSource stores the file an item was made from.
func (s *Store) SaveSource(id string, data []byte) error {
	if err := checkID(id); err != nil {
		return err
	}
	dir := itemDir(id)
	if err := hackpadfs.MkdirAll(s.fs, dir, 0o755); err != nil {
		return fmt.Errorf("session: save source of %s: %w", id, err)
	}
	if err := hackpadfs.WriteFullFile(s.fs, path.Join(dir, "source"), data, 0o644); err != nil {
		return fmt.Errorf("session: save source of %s: %w", id, err)
	}
	return nil
}

// Source returns the file an item was made from.
func (s *Store) Source(id string) ([]byte, error) {
	data, err := s.ReadFile(id, "source")
	if err != nil {
		return nil, fmt.Errorf("session: source of %s: %w", id, err)
	}
	return data, nil
}

// ReadFile returns one stored file of an item (e.g. "gray.png"), as written.
func (s *Store) ReadFile(id, name string) ([]byte, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	return hackpadfs.ReadFile(s.fs, path.Join(itemDir(id), name))
}

func (s *Store) readPNG(name string) (*image.Gray, error) {
	data, err := hackpadfs.ReadFile(s.fs, name)
	if err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	g, ok := img.(*image.Gray)
	if !ok || g.Rect.Min != (image.Point{}) {
		return nil, fmt.Errorf("%s: not an 8-bit grey PNG", name)
	}
	return g, nil
}

// Remove deletes one item.
func (s *Store) Remove(id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := hackpadfs.RemoveAll(s.fs, itemDir(id)); err != nil {
		return fmt.Errorf("session: remove %s: %w", id, err)
	}
	return nil
}

// Clear deletes every item and the patients; the model stays.
func (s *Store) Clear() error {
	if err := hackpadfs.RemoveAll(s.fs, "session"); err != nil {
		return fmt.Errorf("session: clear: %w", err)
	}
	return hackpadfs.MkdirAll(s.fs, "session", 0o755)
}

// SavePatients replaces the stored patients.
func (s *Store) SavePatients(ps []Patient) error {
	if err := s.writeJSON("session/patients.json", ps); err != nil {
		return fmt.Errorf("session: save patients: %w", err)
	}
	return nil
}

// Patients returns the stored patients (none when nothing was stored).
func (s *Store) Patients() ([]Patient, error) {
	data, err := hackpadfs.ReadFile(s.fs, "session/patients.json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("session: patients: %w", err)
	}
	var ps []Patient
	if err := json.Unmarshal(data, &ps); err != nil {
		return nil, fmt.Errorf("session: patients.json: %w", err)
	}
	return ps, nil
}

// SaveModel stores the model file and removes any other stored model, so the
// browser keeps one copy of the weights.
func (s *Store) SaveModel(name string, data []byte) error {
	if !safeName(name, 100, true) || strings.HasPrefix(name, ".") {
		return fmt.Errorf("session: bad model name %q", name)
	}
	if err := hackpadfs.WriteFullFile(s.fs, path.Join("models", name+".onnx"), data, 0o644); err != nil {
		return fmt.Errorf("session: save model %s: %w", name, err)
	}
	entries, err := hackpadfs.ReadDir(s.fs, "models")
	if err != nil {
		return fmt.Errorf("session: save model %s: %w", name, err)
	}
	for _, e := range entries {
		if e.Name() != name+".onnx" {
			if err := hackpadfs.Remove(s.fs, path.Join("models", e.Name())); err != nil {
				return fmt.Errorf("session: remove old model %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}

// Model returns the stored model called name, or, when name is "", the one
// stored model (for when the page cannot reach the model index).
// It returns fs.ErrNotExist when there is none.
func (s *Store) Model(name string) (string, []byte, error) {
	if name == "" {
		entries, err := hackpadfs.ReadDir(s.fs, "models")
		if err != nil {
			return "", nil, fmt.Errorf("session: models: %w", err)
		}
		for _, e := range entries {
			if n, ok := strings.CutSuffix(e.Name(), ".onnx"); ok {
				name = n
				break
			}
		}
		if name == "" {
			return "", nil, fmt.Errorf("session: no stored model: %w", fs.ErrNotExist)
		}
	}
	if !safeName(name, 100, true) {
		return "", nil, fmt.Errorf("session: bad model name %q", name)
	}
	data, err := hackpadfs.ReadFile(s.fs, path.Join("models", name+".onnx"))
	if err != nil {
		return "", nil, fmt.Errorf("session: model %s: %w", name, err)
	}
	return name, data, nil
}
