package session

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"myoseg/core/clinical/zscore"
)

// ZipSummary says what WriteZip wrote and what it left out.
type ZipSummary struct {
	Images  int      `json:"images"`
	Skipped []string `json:"skipped"` // one line per image left out, with the reason
}

// WriteZip writes every finished item as an image + mask pair in the seed
// dataset's layout, so corrected masks can be used as training data:
//
//	{BB,GM,TA,RF,VL}/{Healthy|Pathological}/Images/<ID>_<k>.png   grey plane
//	{BB,GM,TA,RF,VL}/{Healthy|Pathological}/Masks/<ID>_<k>.png    0/255
//	{BB,GM,TA,RF,VL}/{Healthy|Pathological}/characteristics.csv   ID,age,sex,height,weight
//	myoseg-export.csv   which source file each pair came from, corrected or not
//
// <ID> is the patient's ID (the subject, as the dataset's splits need); an
// image without a patient gets an ID of its own ("noid-<n>"). The group is
// the patient's; defaultGroup ("Healthy" or "Pathological") applies when the
// patient's group is unknown. Images without a muscle are skipped and named
// in the summary.
func (s *Store) WriteZip(w io.Writer, defaultGroup string) (ZipSummary, error) {
	var sum ZipSummary
	if defaultGroup != "Healthy" && defaultGroup != "Pathological" {
		return sum, fmt.Errorf("session: zip: group %q is neither Healthy nor Pathological", defaultGroup)
	}
	items, err := s.List()
	if err != nil {
		return sum, err
	}
	ps, err := s.Patients()
	if err != nil {
		return sum, err
	}
	patients := map[string]Patient{}
	for _, p := range ps {
		patients[p.ID] = p
	}

	zw := zip.NewWriter(w)
	counts := map[string]int{}               // dir/subject → images so far
	chars := map[string]map[string]Patient{} // dir → subjects with characteristics
	manifest := [][]string{{"zip_image", "zip_mask", "source_file", "source_path", "corrected", "model"}}
	for _, it := range items {
		if it.Status != "done" {
			continue
		}
		m := zscore.Muscle(it.Options.Muscle)
		code := m.Code()
		if code == "" {
			sum.Skipped = append(sum.Skipped, it.Name+": no muscle chosen")
			continue
		}
		p, hasPatient := patients[it.Options.PatientID]
		subject := "noid-" + strconv.FormatInt(it.Order, 10)
		group := defaultGroup
		if hasPatient {
			// '_' separates subject and k in the layout, so it cannot be in the ID.
			subject = strings.ReplaceAll(p.ID, "_", "-")
			if p.Group == "Healthy" || p.Group == "Pathological" {
				group = p.Group
			}
		}
		dir := code + "/" + group
		counts[dir+"/"+subject]++
		name := fmt.Sprintf("%s_%d.png", subject, counts[dir+"/"+subject])
		maskFile := "model-mask.png"
		if it.Corrected {
			maskFile = "mask.png"
		}
		for _, f := range []struct{ from, to string }{
			{"gray.png", dir + "/Images/" + name},
			{maskFile, dir + "/Masks/" + name},
		} {
			data, err := s.ReadFile(it.ID, f.from)
			if err != nil {
				return sum, fmt.Errorf("session: zip: %s: %w", it.Name, err)
			}
			if err := storeFile(zw, f.to, data); err != nil {
				return sum, fmt.Errorf("session: zip: %s: %w", it.Name, err)
			}
		}
		if hasPatient {
			if chars[dir] == nil {
				chars[dir] = map[string]Patient{}
			}
			chars[dir][subject] = p
		}
		manifest = append(manifest, []string{dir + "/Images/" + name, dir + "/Masks/" + name,
			it.Name, it.Path, strconv.FormatBool(it.Corrected), it.Model})
		sum.Images++
	}

	dirs := make([]string, 0, len(chars))
	for d := range chars {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		rows := [][]string{{"ID", "age", "sex", "height", "weight"}}
		ids := make([]string, 0, len(chars[d]))
		for id := range chars[d] {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			p := chars[d][id]
			rows = append(rows, []string{id, num(p.AgeYears), p.Sex, num(p.HeightCm), num(p.WeightKg)})
		}
		if err := csvFile(zw, d+"/characteristics.csv", rows); err != nil {
			return sum, err
		}
	}
	if err := csvFile(zw, "myoseg-export.csv", manifest); err != nil {
		return sum, err
	}
	if err := zw.Close(); err != nil {
		return sum, fmt.Errorf("session: zip: %w", err)
	}
	return sum, nil
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// storeFile adds a PNG without recompressing it (deflate gains nothing).
func storeFile(zw *zip.Writer, name string, data []byte) error {
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return err
}

func csvFile(zw *zip.Writer, name string, rows [][]string) error {
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	if err != nil {
		return fmt.Errorf("session: zip: %s: %w", name, err)
	}
	cw := csv.NewWriter(f)
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("session: zip: %s: %w", name, err)
	}
	return nil
}
