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
	Images     int      `json:"images"`     // pairs written
	Corrected  int      `json:"corrected"`  // of which a person corrected the mask
	Accepted   int      `json:"accepted"`   // of which a person accepted the model's mask
	Unreviewed int      `json:"unreviewed"` // of which nobody looked at the mask (All only)
	LeftOut    int      `json:"leftOut"`    // unreviewed masks left out (without All)
	Skipped    []string `json:"skipped"`    // one line per image left out, with the reason
}

// ZipOptions are the questions WriteZip needs answered.
type ZipOptions struct {
	// Groups answers "Healthy or Pathological?" for patients whose group is
	// unknown, by patient ID ("" for the images without a patient). There
	// is no default: a missing answer is a *NeedGroups error.
	Groups map[string]string `json:"groups"`
	// All includes masks nobody corrected or accepted (the model's own).
	All bool `json:"all"`
}

// NeedGroups is WriteZip's question: these patients' group is unknown
// ("" = the images without a patient). Nothing was written.
type NeedGroups struct{ Patients []string }

func (e *NeedGroups) Error() string {
	return fmt.Sprintf("session: zip: group (Healthy or Pathological) unknown for %d patient(s): %s", len(e.Patients), strings.Join(e.Patients, ", "))
}

// WriteZip writes the finished items a person corrected or accepted (all
// of them with opt.All) as image + mask pairs in the seed dataset's layout,
// as training data:
//
//	{BB,GM,TA,RF,VL}/{Healthy|Pathological}/Images/<ID>_<k>.png   grey plane
//	{BB,GM,TA,RF,VL}/{Healthy|Pathological}/Masks/<ID>_<k>.png    0/255
//	{BB,GM,TA,RF,VL}/{Healthy|Pathological}/characteristics.csv   ID,age,sex,height,weight
//	myoseg-export.csv   which source file each pair came from, corrected, accepted or not
//
// <ID> is the patient's ID (the subject, as the dataset's splits need); an
// image without a patient gets an ID of its own ("noid-<n>"). The group is
// the patient's, else opt.Groups' answer; when an answer is missing nothing
// is written and the error is a *NeedGroups naming who to ask about.
// Images without a muscle are skipped and named in the summary.
func (s *Store) WriteZip(w io.Writer, opt ZipOptions) (ZipSummary, error) {
	var sum ZipSummary
	for id, g := range opt.Groups {
		if g != "Healthy" && g != "Pathological" {
			return sum, fmt.Errorf("session: zip: group %q for patient %q is neither Healthy nor Pathological", g, id)
		}
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
	// First pass: what goes in, and whose group is still unknown.
	var chosen []Item
	var need []string
	asked := map[string]bool{}
	for _, it := range items {
		if it.Status != "done" {
			continue
		}
		if zscore.Muscle(it.Options.Muscle).Code() == "" {
			sum.Skipped = append(sum.Skipped, it.Name+": no muscle chosen")
			continue
		}
		if !it.Corrected && !it.Options.Accepted && !opt.All {
			sum.LeftOut++
			continue
		}
		chosen = append(chosen, it)
		p, ok := patients[it.Options.PatientID]
		key := ""
		if ok {
			key = p.ID
		}
		if (!ok || (p.Group != "Healthy" && p.Group != "Pathological")) && opt.Groups[key] == "" && !asked[key] {
			asked[key] = true
			need = append(need, key)
		}
	}
	if len(need) > 0 {
		return sum, &NeedGroups{Patients: need}
	}

	zw := zip.NewWriter(w)
	counts := map[string]int{}               // dir/subject → images so far
	chars := map[string]map[string]Patient{} // dir → subjects with characteristics
	manifest := [][]string{{"zip_image", "zip_mask", "source_file", "source_path", "corrected", "accepted", "model"}}
	for _, it := range chosen {
		code := zscore.Muscle(it.Options.Muscle).Code()
		p, hasPatient := patients[it.Options.PatientID]
		subject := "noid-" + strconv.FormatInt(it.Order, 10)
		group := opt.Groups[""]
		if hasPatient {
			// '_' separates subject and k in the layout, so it cannot be in the ID.
			subject = strings.ReplaceAll(p.ID, "_", "-")
			group = opt.Groups[p.ID]
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
			it.Name, it.Path, strconv.FormatBool(it.Corrected), strconv.FormatBool(it.Options.Accepted), it.Model})
		sum.Images++
		switch {
		case it.Corrected:
			sum.Corrected++
		case it.Options.Accepted:
			sum.Accepted++
		default:
			sum.Unreviewed++
		}
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
