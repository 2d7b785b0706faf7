// Package dataset reads a folder in the seed dataset's layout (Marzola et al.
// 2021, Mendeley Data doi 10.17632/3jykz7wz8d):
//
//	DIR/{BB,GM,TA}/{Healthy,Pathological}/Images/*.png
//	DIR/{BB,GM,TA}/{Healthy,Pathological}/Masks/*.png      same file name
//	DIR/{BB,GM,TA}/{Healthy,Pathological}/characteristics.csv or .xlsx
//	DIR/{BB,GM,TA}/{Healthy,Pathological}/truth.csv         phantoms only
//
// It lists one Item per image with its expert mask (when there is one), the
// subject's characteristics (age, sex, height, weight) and, for phantoms,
// the ground truth. It takes an fs.FS, so callers pass os.DirFS or, in
// tests, fstest.MapFS; it reads only folder listings and the small tables,
// never the images.
//
// What the reader tolerates, so that a real download works as is:
//   - the layout may sit one folder down (DIR/Polito-Radboud-DeepLearningUS/BB/...);
//   - folder names match case-insensitively; muscle folders are anything
//     zscore.ParseMuscle accepts (BB, GM, TA, RF, VL or the muscle's name);
//   - image files are .png, .jpg, .jpeg, .bmp, .tif, .tiff or .dcm; hidden
//     files (macOS "._x.png" forks) are skipped;
//   - a mask matches an image by file name, or by the same stem with .png.
//
// Problems that concern one image (no mask, subject missing from the
// characteristics, a field unreadable) go into Item.Problems; problems with
// the folder (an unreadable table, a mask without an image) go into
// Dataset.Warnings. Read fails only when no layout is found at all.
package dataset

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"myoseg/core/clinical/zscore"
)

// The seed layout's group folders.
const (
	Healthy      = "Healthy"
	Pathological = "Pathological"
)

// Item is one image of the dataset.
type Item struct {
	Muscle     string        // the muscle's code as in the folder: "BB", "GM", "TA" (upper case)
	MuscleName zscore.Muscle // the muscle zscore knows: biceps_brachii, gastrocnemius_medialis, tibialis_anterior
	Group      string        // Healthy or Pathological
	Name       string        // image file name, e.g. "S00001_1.png"
	ImagePath  string        // slash-separated path of the image inside the FS
	MaskPath   string        // path of the expert mask; "" when there is none
	SubjectID  string        // Name up to the first '_' (the whole stem when there is no '_')
	// Patient holds the subject's row of the characteristics table; nil when
	// the subject is not in it (or there is no table). A field that is
	// missing or unreadable is left zero and named in Problems;
	// zscore.Compute then refuses the muscles whose model needs it.
	Patient  *zscore.Patient
	Truth    *Truth   // from truth.csv (phantoms); nil when absent
	Problems []string // one line each: what is missing or wrong for this image
}

// Key identifies the item inside the dataset: "BB/Healthy/S00001_1.png".
func (it Item) Key() string { return it.Muscle + "/" + it.Group + "/" + it.Name }

// GroupDir is the item's group folder inside the FS, e.g. "BB/Healthy".
func (it Item) GroupDir() string { return path.Dir(path.Dir(it.ImagePath)) }

// Truth is one row of a phantom's truth.csv: the ground truth measured on
// the written 8-bit image inside the exact mask.
type Truth struct {
	EIMean, EISD float64 // grey values 0–255 (population SD)
	CSAPx        int
	Heckmatt     int // 1 normal … 4 severe; 0 when absent
}

// Dataset is a read folder.
type Dataset struct {
	// Root is the folder inside the FS that holds the muscle folders: "."
	// or, when the layout sits one level down, that folder's name.
	Root     string
	Items    []Item
	Warnings []string
}

// Options adjusts how tables are read.
type Options struct {
	// SexOne is what a sex code of 1 means, "M" (the default) or "F"; 0 (and
	// 2) then mean the other sex. The seed dataset's characteristics.xlsx
	// codes sex as a number whose meaning is not documented: 1 = male is our
	// guess, not a fact. Letters (M/F, male/female, man/woman, Dutch m/v) are
	// never ambiguous.
	SexOne string
}

func (o Options) sexOne() string {
	if strings.EqualFold(o.SexOne, "F") {
		return "F"
	}
	return "M"
}

// imageExt lists the file extensions taken as images.
var imageExt = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".bmp": true, ".tif": true, ".tiff": true, ".dcm": true}

// SubjectID is the image name up to the first '_' (the seed dataset's and
// the phantoms' convention "<ID>_<k>.png"), or the whole stem without one.
func SubjectID(name string) string {
	stem := strings.TrimSuffix(name, path.Ext(name))
	if i := strings.IndexByte(stem, '_'); i >= 0 {
		return stem[:i]
	}
	return stem
}

// groupName maps a folder name to Healthy/Pathological, case-insensitively.
func groupName(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "healthy":
		return Healthy, true
	case "pathological":
		return Pathological, true
	}
	return "", false
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// muscleDirs lists dir's sub-folders that name a muscle.
func muscleDirs(fsys fs.FS, dir string) ([]fs.DirEntry, []zscore.Muscle) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, nil
	}
	var out []fs.DirEntry
	var ms []zscore.Muscle
	for _, e := range entries {
		if !e.IsDir() || hidden(e.Name()) {
			continue
		}
		if m, err := zscore.ParseMuscle(e.Name()); err == nil {
			out = append(out, e)
			ms = append(ms, m)
		}
	}
	return out, ms
}

// findRoot returns "." when the muscle folders are at the top, or the one
// sub-folder that holds them.
func findRoot(fsys fs.FS) (string, error) {
	if d, _ := muscleDirs(fsys, "."); len(d) > 0 {
		return ".", nil
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return "", fmt.Errorf("dataset: list top folder: %w", err)
	}
	var found []string
	for _, e := range entries {
		if !e.IsDir() || hidden(e.Name()) {
			continue
		}
		if d, _ := muscleDirs(fsys, e.Name()); len(d) > 0 {
			found = append(found, e.Name())
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("dataset: no muscle folders (BB, GM, TA, …) at the top or one level down: not the seed layout {BB,GM,TA}/{Healthy,Pathological}/Images")
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("dataset: several folders hold muscle folders (%s): point at one of them", strings.Join(found, ", "))
}

// childDir finds dir's sub-folder named name, case-insensitively.
func childDir(fsys fs.FS, dir, name string) (string, bool) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return "", false
	}
	for _, e := range entries {
		if e.IsDir() && strings.EqualFold(e.Name(), name) {
			return path.Join(dir, e.Name()), true
		}
	}
	return "", false
}

// childFile finds dir's file named name, case-insensitively.
func childFile(fsys fs.FS, dir, name string) (string, bool) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return "", false
	}
	for _, e := range entries {
		if !e.IsDir() && strings.EqualFold(e.Name(), name) {
			return path.Join(dir, e.Name()), true
		}
	}
	return "", false
}

// Read walks the layout and lists its images in order: muscle folder,
// Healthy before Pathological, file name.
func Read(fsys fs.FS, opt Options) (*Dataset, error) {
	root, err := findRoot(fsys)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Root: root}
	dirs, muscles := muscleDirs(fsys, root)
	for i, md := range dirs {
		mdir := path.Join(root, md.Name())
		entries, err := fs.ReadDir(fsys, mdir)
		if err != nil {
			ds.Warnings = append(ds.Warnings, fmt.Sprintf("%s: cannot list: %v", mdir, err))
			continue
		}
		var groups []string
		for _, e := range entries {
			if !e.IsDir() || hidden(e.Name()) {
				continue
			}
			if _, ok := groupName(e.Name()); ok {
				groups = append(groups, e.Name())
			} else {
				ds.Warnings = append(ds.Warnings, fmt.Sprintf("%s: folder %q is neither Healthy nor Pathological: skipped", mdir, e.Name()))
			}
		}
		sort.Slice(groups, func(a, b int) bool {
			ga, _ := groupName(groups[a])
			gb, _ := groupName(groups[b])
			return ga < gb // Healthy < Pathological
		})
		code := strings.ToUpper(md.Name())
		if c := muscles[i].Code(); c != "" {
			code = c
		}
		for _, gname := range groups {
			g, _ := groupName(gname)
			ds.readGroup(fsys, path.Join(mdir, gname), code, muscles[i], g, opt)
		}
	}
	if len(ds.Items) == 0 {
		ds.Warnings = append(ds.Warnings, "no images found under {muscle}/{Healthy,Pathological}/Images")
	}
	return ds, nil
}

// readGroup lists one {muscle}/{group} folder.
func (ds *Dataset) readGroup(fsys fs.FS, gdir, code string, muscle zscore.Muscle, group string, opt Options) {
	imgDir, ok := childDir(fsys, gdir, "Images")
	if !ok {
		ds.Warnings = append(ds.Warnings, fmt.Sprintf("%s: no Images folder", gdir))
		return
	}
	images := listImages(fsys, imgDir)
	masks := map[string]string{} // lower-case file name → path
	if maskDir, ok := childDir(fsys, gdir, "Masks"); ok {
		for _, p := range listImages(fsys, maskDir) {
			masks[strings.ToLower(path.Base(p))] = p
		}
	} else {
		ds.Warnings = append(ds.Warnings, fmt.Sprintf("%s: no Masks folder: no image has an expert mask", gdir))
	}

	chars, charsWarn := readCharacteristics(fsys, gdir, opt)
	ds.Warnings = append(ds.Warnings, charsWarn...)
	truth, truthWarn := readTruthFile(fsys, gdir)
	ds.Warnings = append(ds.Warnings, truthWarn...)

	used := map[string]bool{}
	for _, ip := range images {
		name := path.Base(ip)
		it := Item{
			Muscle:     code,
			MuscleName: muscle,
			Group:      group,
			Name:       name,
			ImagePath:  ip,
			SubjectID:  SubjectID(name),
		}
		if mp, key := matchMask(masks, name); mp != "" {
			it.MaskPath = mp
			used[key] = true
		} else {
			it.Problems = append(it.Problems, "no expert mask in Masks/")
		}
		switch {
		case chars == nil:
			it.Problems = append(it.Problems, "no characteristics table: no patient data")
		default:
			p, probs, ok := chars.Lookup(it.SubjectID)
			if !ok {
				it.Problems = append(it.Problems, fmt.Sprintf("subject %q not in %s", it.SubjectID, path.Base(chars.File)))
			} else {
				pc := p
				it.Patient = &pc
				it.Problems = append(it.Problems, probs...)
			}
		}
		if truth != nil {
			if t, ok := truth[strings.ToLower(name)]; ok {
				tc := t
				it.Truth = &tc
			}
		}
		ds.Items = append(ds.Items, it)
	}
	var orphans []string
	for key, p := range masks {
		if !used[key] {
			orphans = append(orphans, path.Base(p))
		}
	}
	if len(orphans) > 0 {
		sort.Strings(orphans)
		ds.Warnings = append(ds.Warnings, fmt.Sprintf("%s: %d mask(s) without an image: %s", gdir, len(orphans), abbreviate(orphans, 5)))
	}
}

// matchMask finds an image's mask: same name, else same stem with .png.
func matchMask(masks map[string]string, name string) (string, string) {
	key := strings.ToLower(name)
	if p, ok := masks[key]; ok {
		return p, key
	}
	key = strings.ToLower(strings.TrimSuffix(name, path.Ext(name)) + ".png")
	if p, ok := masks[key]; ok {
		return p, key
	}
	return "", ""
}

func listImages(fsys fs.FS, dir string) []string {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() || hidden(e.Name()) || !imageExt[strings.ToLower(path.Ext(e.Name()))] {
			continue
		}
		out = append(out, path.Join(dir, e.Name()))
	}
	return out // fs.ReadDir sorts by name
}

func abbreviate(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:n], ", ") + fmt.Sprintf(" and %d more", len(list)-n)
}

// maxTableBytes bounds the tables read into memory: a characteristics table
// of the seed dataset is a few kB.
const maxTableBytes = 32 << 20

func readSmall(fsys fs.FS, p string) ([]byte, error) {
	if st, err := fs.Stat(fsys, p); err == nil && st.Size() > maxTableBytes {
		return nil, fmt.Errorf("%s is %d bytes (limit %d)", p, st.Size(), maxTableBytes)
	}
	return fs.ReadFile(fsys, p)
}

// readCharacteristics reads the group's characteristics.csv, else its
// characteristics.xlsx. nil when there is neither or it cannot be read.
func readCharacteristics(fsys fs.FS, gdir string, opt Options) (*Characteristics, []string) {
	var warn []string
	csvPath, hasCSV := childFile(fsys, gdir, "characteristics.csv")
	xlsxPath, hasXLSX := childFile(fsys, gdir, "characteristics.xlsx")
	for _, p := range []struct {
		path string
		ok   bool
	}{{csvPath, hasCSV}, {xlsxPath, hasXLSX}} {
		if !p.ok {
			continue
		}
		data, err := readSmall(fsys, p.path)
		if err == nil {
			var c *Characteristics
			c, err = ParseCharacteristics(p.path, data, opt)
			if err == nil {
				warn = append(warn, c.Warnings...)
				if hasCSV && hasXLSX {
					warn = append(warn, fmt.Sprintf("%s: both .csv and .xlsx present: read %s only", gdir, path.Base(p.path)))
				}
				return c, warn
			}
		}
		warn = append(warn, fmt.Sprintf("%s: %v", p.path, err))
	}
	if !hasCSV && !hasXLSX {
		warn = append(warn, fmt.Sprintf("%s: no characteristics.csv or .xlsx: no patient data, no z-scores", gdir))
	}
	return nil, warn
}

func readTruthFile(fsys fs.FS, gdir string) (map[string]Truth, []string) {
	p, ok := childFile(fsys, gdir, "truth.csv")
	if !ok {
		return nil, nil
	}
	data, err := readSmall(fsys, p)
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: %v", p, err)}
	}
	t, warn, err := ParseTruth(data)
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: %v", p, err)}
	}
	for i := range warn {
		warn[i] = p + ": " + warn[i]
	}
	return t, warn
}
