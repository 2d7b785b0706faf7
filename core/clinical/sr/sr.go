// Package sr writes an exam's results as a DICOM Comprehensive Structured
// Report shaped as a TID 1500 Measurement Report, so a hospital can file them
// in its PACS beside the images: one measurement group per image with CSA,
// EI, expected EI, z and the flag, each group referencing its source image by
// SOP Instance UID, plus the patient-level reading and the caveats as text.
// The output is checked by dcmtk's dsrdump and dicom3tools' dciodvfy in the
// tests (scripts/test-deps.sh installs both).
//
// Codes: DCM and SNOMED CT where a standard code says exactly what is meant
// (Area, Left/Right, Normal/Abnormal); the echo-intensity measures and the
// muscles have no standard code we could check offline, so they use the
// local scheme 99MYOSEG, declared in the Coding Scheme Identification
// Sequence.
package sr

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/decode"
)

// ComprehensiveSR is the SOP Class written.
const ComprehensiveSR = "1.2.840.10008.5.1.4.1.1.88.33"

const (
	implementationUID  = "2.25.246913580246913580246913580246913580"
	implementationName = "MYOSEG_SR_1"
	localScheme        = "99MYOSEG"
)

// Image is one measured image and where it lives in the DICOM world.
type Image struct {
	Record record.Record
	ID     decode.Identity // from the source file (decode.DICOMInfo.Identity)
}

// Exam is what one report covers: one patient's images of one study.
type Exam struct {
	Images []Image
	// Patient and study fields override the files' values when set (the
	// page's exam form); the files' values are used otherwise.
	PatientID, PatientName, ExamDate, Operator string
	Model                                      string   // model name, the device observer
	Reading                                    string   // patient-level reading, in words; "" = none
	Notes                                      []string // caveats: research use, scanner, ...
	Created                                    time.Time
}

// Write builds the SR file. Images without a SOP Instance UID (not DICOM)
// cannot be referenced and are refused, as are images of another patient;
// every problem is listed.
func Write(ex Exam) ([]byte, error) {
	if len(ex.Images) == 0 {
		return nil, errors.New("sr: no images")
	}
	var probs []string
	first := ex.Images[0].ID
	for _, im := range ex.Images {
		id := im.ID
		if id.SOPInstanceUID == "" || id.SOPClassUID == "" || id.StudyInstanceUID == "" || id.SeriesInstanceUID == "" {
			probs = append(probs, fmt.Sprintf("%s: not a DICOM image with SOP, study and series UIDs", im.Record.File))
			continue
		}
		for _, u := range [][2]string{{"SOP Class UID", id.SOPClassUID}, {"SOP Instance UID", id.SOPInstanceUID}, {"Study Instance UID", id.StudyInstanceUID}, {"Series Instance UID", id.SeriesInstanceUID}} {
			if err := checkUID(u[0], u[1]); err != nil {
				probs = append(probs, fmt.Sprintf("%s: %v", im.Record.File, err))
			}
		}
		if ex.PatientID == "" && id.PatientID != first.PatientID {
			probs = append(probs, fmt.Sprintf("%s: patient ID %q differs from %q", im.Record.File, id.PatientID, first.PatientID))
		}
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("sr: %s", strings.Join(probs, "; "))
	}
	created := ex.Created.UTC()
	if created.IsZero() {
		return nil, errors.New("sr: no creation time")
	}
	seed := sha256.New()
	fmt.Fprintf(seed, "%s|%s|%s", created.Format(time.RFC3339Nano), ex.PatientID, ex.Model)
	for _, im := range ex.Images {
		fmt.Fprintf(seed, "|%s|%s|%s|%d|%g", im.ID.SOPInstanceUID, im.Record.Muscle, im.Record.Side, im.Record.CSAPx, im.Record.EIMean)
	}
	sum := seed.Sum(nil)
	sopInstance, seriesInstance, observer := uid(sum, "instance"), uid(sum, "series"), uid([]byte(ex.Model), "device")

	var d dataset
	d.add(0x00080016, "UI", ComprehensiveSR)
	d.add(0x00080018, "UI", sopInstance)
	d.add(0x00080023, "DA", created.Format("20060102"))
	d.add(0x00080033, "TM", created.Format("150405"))
	d.add(0x00080060, "CS", "SR")
	d.add(0x00080070, "LO", "myoseg")
	d.seq(0x00080110, codingScheme())
	d.seq(0x00081111) // Referenced Performed Procedure Step: none (type 2)
	d.add(0x0008103E, "LO", "myoseg muscle ultrasound measurements")
	d.add(0x00181020, "LO", clip(ex.Model, 64))
	d.add(0x00200011, "IS", "9901")
	d.add(0x00200013, "IS", "1")
	d.add(0x0020000E, "UI", seriesInstance)

	// Patient and study: the exam form's values win, else the first image's.
	pid, pname := pick(ex.PatientID, first.PatientID), pick(ex.PatientName, first.PatientName)
	d.add(0x00100010, "PN", clip(pname, 64))
	d.add(0x00100020, "LO", clip(pid, 64))
	d.add(0x00100030, "DA", dicomDate(first.PatientBirthDate))
	d.add(0x00100040, "CS", sexCode(first.PatientSex))
	d.add(0x0020000D, "UI", first.StudyInstanceUID)
	d.add(0x00080020, "DA", pick(dicomDate(ex.ExamDate), dicomDate(first.StudyDate)))
	d.add(0x00080030, "TM", dicomTime(first.StudyTime))
	d.add(0x00080050, "SH", clip(first.AccessionNumber, 16))
	d.add(0x00080090, "PN", clip(first.ReferringPhysician, 64))
	d.add(0x00200010, "SH", clip(first.StudyID, 16))
	if op := pick(ex.Operator, first.OperatorsName); op != "" {
		d.add(0x00081070, "PN", clip(op, 64))
	}

	// SR Document General.
	d.add(0x0040A491, "CS", "COMPLETE")
	d.add(0x0040A493, "CS", "UNVERIFIED")
	d.seq(0x0040A372) // Performed Procedure Code: none (type 2)
	d.seq(0x0040A375, evidence(ex.Images)...)

	// Root content item.
	d.add(0x0040A040, "CS", "CONTAINER")
	d.seq(0x0040A043, code("126000", "DCM", "Imaging Measurement Report"))
	d.add(0x0040A050, "CS", "SEPARATE")
	tmpl := dataset{}
	tmpl.add(0x00080105, "CS", "DCMR")
	tmpl.add(0x0040DB00, "CS", "1500")
	d.seq(0x0040A504, tmpl)

	content := []dataset{
		codeItem("HAS CONCEPT MOD", code("121049", "DCM", "Language of Content Item and Descendants"), code("en-US", "RFC5646", "English (United States)")),
		codeItem("HAS OBS CONTEXT", code("121005", "DCM", "Observer Type"), code("121007", "DCM", "Device")),
		uidItem("HAS OBS CONTEXT", code("121012", "DCM", "Device Observer UID"), observer),
		textItem("HAS OBS CONTEXT", code("121013", "DCM", "Device Observer Name"), pick(ex.Model, "myoseg")),
		codeItem("HAS CONCEPT MOD", code("121058", "DCM", "Procedure reported"), code("16310003", "SCT", "Ultrasonography")),
	}
	var groups []dataset
	for i, im := range ex.Images {
		g, err := group(i, im, sum)
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}
	content = append(content, container("CONTAINS", code("126010", "DCM", "Imaging Measurements"), groups...))
	if ex.Reading != "" {
		content = append(content, textItem("CONTAINS", code("READING", localScheme, "Patient-level reading (flow chart)"), ex.Reading))
	}
	for _, n := range ex.Notes {
		if n != "" {
			content = append(content, textItem("CONTAINS", code("121106", "DCM", "Comment"), n))
		}
	}
	d.seq(0x0040A730, content...)
	if !d.ascii() {
		d.add(0x00080005, "CS", "ISO_IR 192") // UTF-8; plain ASCII needs no declaration
	}
	return file(ComprehensiveSR, sopInstance, d)
}

// group is one image's measurement group (TID 1501-style).
func group(i int, im Image, seed []byte) (dataset, error) {
	r := im.Record
	track := fmt.Sprintf("%s %s %s", r.File, r.Muscle, r.Side)
	kids := []dataset{
		textItem("HAS OBS CONTEXT", code("112039", "DCM", "Tracking Identifier"), clip(strings.Join(strings.Fields(track), " "), 1024)),
		uidItem("HAS OBS CONTEXT", code("112040", "DCM", "Tracking Unique Identifier"), uid(append(append([]byte{}, seed...), strconv.Itoa(i)...), "group")),
	}
	if r.Muscle != "" {
		site := codeItem("HAS CONCEPT MOD", code("363698007", "SCT", "Finding Site"), muscleCode(r.Muscle))
		switch strings.ToLower(r.Side) {
		case "left":
			site.seq(0x0040A730, codeItem("HAS CONCEPT MOD", code("272741003", "SCT", "Laterality"), code("7771000", "SCT", "Left")))
		case "right":
			site.seq(0x0040A730, codeItem("HAS CONCEPT MOD", code("272741003", "SCT", "Laterality"), code("24028007", "SCT", "Right")))
		}
		kids = append(kids, site)
	}
	img := dataset{}
	img.add(0x0040A010, "CS", "CONTAINS")
	img.add(0x0040A040, "CS", "IMAGE")
	img.seq(0x0040A043, code("121112", "DCM", "Source of Measurement"))
	img.seq(0x00081199, sopRef(im.ID))
	kids = append(kids, img)

	if r.CSACm2 != nil {
		kids = append(kids, numItem(code("42798000", "SCT", "Area"), *r.CSACm2, code("cm2", "UCUM", "square centimeter")))
	} else {
		kids = append(kids, numItem(code("42798000", "SCT", "Area"), float64(r.CSAPx), code("{pixels}", "UCUM", "pixels (uncalibrated)")))
	}
	grey := code("1", "UCUM", "no units")
	kids = append(kids, numItem(code("EI", localScheme, "Echo intensity (mean grey value, 0-255)"), r.EIMean, grey))
	if r.EIExpected != nil {
		kids = append(kids, numItem(code("EIEXP", localScheme, "Expected echo intensity"), *r.EIExpected, grey))
	}
	if r.Z != nil {
		kids = append(kids, numItem(code("EIZ", localScheme, "Echo intensity z-score"), *r.Z, grey))
	}
	if r.Abnormal != nil {
		v := code("17621005", "SCT", "Normal")
		if *r.Abnormal {
			v = code("263654008", "SCT", "Abnormal")
		}
		kids = append(kids, codeItem("CONTAINS", code("EIFLAG", localScheme, "Echo intensity z-score above 2"), v))
	}
	mask := "model output, not reviewed"
	if r.Corrected {
		mask = "corrected by a person"
	}
	kids = append(kids, textItem("CONTAINS", code("MASK", localScheme, "Muscle outline"), mask))
	return container("CONTAINS", code("125007", "DCM", "Measurement Group"), kids...), nil
}

// evidence is the Current Requested Procedure Evidence: every referenced
// instance, grouped by study and series.
func evidence(ims []Image) []dataset {
	type key struct{ study, series string }
	var studies []string
	series := map[string][]string{}
	refs := map[key][]dataset{}
	for _, im := range ims {
		k := key{im.ID.StudyInstanceUID, im.ID.SeriesInstanceUID}
		if _, ok := series[k.study]; !ok {
			studies = append(studies, k.study)
		}
		if refs[k] == nil {
			series[k.study] = append(series[k.study], k.series)
		}
		refs[k] = append(refs[k], sopRef(im.ID))
	}
	var out []dataset
	for _, st := range studies {
		var ser []dataset
		for _, se := range series[st] {
			s := dataset{}
			s.add(0x0020000E, "UI", se)
			s.seq(0x00081199, refs[key{st, se}]...)
			ser = append(ser, s)
		}
		it := dataset{}
		it.add(0x0020000D, "UI", st)
		it.seq(0x00081115, ser...)
		out = append(out, it)
	}
	return out
}

func sopRef(id decode.Identity) dataset {
	d := dataset{}
	d.add(0x00081150, "UI", id.SOPClassUID)
	d.add(0x00081155, "UI", id.SOPInstanceUID)
	return d
}

func code(value, scheme, meaning string) dataset {
	d := dataset{}
	d.add(0x00080100, "SH", value)
	d.add(0x00080102, "SH", scheme)
	d.add(0x00080104, "LO", clip(meaning, 64))
	return d
}

func item(rel, vt string, name dataset) dataset {
	d := dataset{}
	d.add(0x0040A010, "CS", rel)
	d.add(0x0040A040, "CS", vt)
	d.seq(0x0040A043, name)
	return d
}

func container(rel string, name dataset, kids ...dataset) dataset {
	d := item(rel, "CONTAINER", name)
	d.add(0x0040A050, "CS", "SEPARATE")
	d.seq(0x0040A730, kids...)
	return d
}

func codeItem(rel string, name, value dataset) dataset {
	d := item(rel, "CODE", name)
	d.seq(0x0040A168, value)
	return d
}

func textItem(rel string, name dataset, text string) dataset {
	d := item(rel, "TEXT", name)
	d.add(0x0040A160, "UT", text)
	return d
}

func uidItem(rel string, name dataset, u string) dataset {
	d := item(rel, "UIDREF", name)
	d.add(0x0040A124, "UI", u)
	return d
}

func numItem(name dataset, v float64, unit dataset) dataset {
	d := item("CONTAINS", "NUM", name)
	mv := dataset{}
	mv.seq(0x004008EA, unit)
	mv.add(0x0040A30A, "DS", ds(v))
	d.seq(0x0040A300, mv)
	return d
}

func codingScheme() dataset {
	d := dataset{}
	d.add(0x00080102, "SH", localScheme)
	d.add(0x00080115, "ST", "myoseg local codes (echo intensity measures, muscles)")
	d.add(0x00080116, "ST", "myoseg")
	return d
}

// ds formats a Decimal String: at most 16 characters.
func ds(v float64) string {
	for p := 10; p > 1; p-- {
		if s := strconv.FormatFloat(v, 'g', p, 64); len(s) <= 16 {
			return s
		}
	}
	return strconv.FormatFloat(v, 'g', 1, 64)
}

// uid derives a UID under 2.25 (an integer form of a UUID, PS3.5 B.2) from
// seed and purpose: the same exam's results give the same UIDs.
func uid(seed []byte, purpose string) string {
	h := sha256.Sum256(append(append([]byte{}, seed...), purpose...))
	h[6] = h[6]&0x0F | 0x80 // version 8 (custom) UUID
	h[8] = h[8]&0x3F | 0x80
	return "2.25." + decimal128(binary.BigEndian.Uint64(h[:8]), binary.BigEndian.Uint64(h[8:16]))
}

// decimal128 is the 128-bit unsigned integer hi·2⁶⁴ + lo in decimal, what
// big.Int's String gave (math/big was this package's alone in the wasm,
// about 0.1 MB, for this one conversion). It divides by 10¹⁹, the largest
// power of ten in a uint64, at most twice.
func decimal128(hi, lo uint64) string {
	const e19 = 10_000_000_000_000_000_000
	var parts []uint64 // 19-digit groups, least significant first
	for hi != 0 {
		var r uint64
		hi, r = hi/e19, hi%e19
		lo, r = bits.Div64(r, lo, e19)
		parts = append(parts, r)
	}
	s := strconv.FormatUint(lo, 10)
	for i := len(parts) - 1; i >= 0; i-- {
		g := strconv.FormatUint(parts[i], 10)
		s += strings.Repeat("0", 19-len(g)) + g
	}
	return s
}

func pick(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return strings.TrimSpace(a)
	}
	return b
}

// dicomDate accepts YYYYMMDD or YYYY-MM-DD; anything else is left empty.
func dicomDate(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "-", "")
	if _, err := time.Parse("20060102", s); err != nil {
		return ""
	}
	return s
}

func dicomTime(s string) string {
	s = strings.TrimSpace(s)
	if len(s) < 2 || strings.Trim(strings.ReplaceAll(s, ".", ""), "0123456789") != "" {
		return ""
	}
	return clip(s, 16)
}

func sexCode(s string) string {
	switch s = strings.ToUpper(strings.TrimSpace(s)); s {
	case "M", "F", "O":
		return s
	}
	return ""
}

// muscleCode is the Finding Site code: the muscle's code and name from
// zscore, or the text as given for a muscle it does not know.
func muscleCode(m string) dataset {
	if mm, err := zscore.ParseMuscle(m); err == nil {
		return code(mm.Code(), localScheme, mm.Label())
	}
	return code(clip(strings.ToUpper(m), 16), localScheme, m)
}
