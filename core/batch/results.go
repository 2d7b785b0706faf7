package batch

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"myoseg/core/clinical/record"
)

// Failure is one input that could not be segmented: a row of errors.csv.
type Failure struct {
	File   string // the input's key
	Reason string
}

// Manifest describes the summary files of one run or shard; merge checks
// shards against each other with it.
type Manifest struct {
	Version      int    `json:"version"`
	Shard        string `json:"shard"` // "i/n"; "0/1" for a whole run
	Model        string `json:"model"`
	ModelSHA256  string `json:"model_sha256"`
	InputsSHA256 string `json:"inputs_sha256"` // hash of Inputs, one key a line
	// Inputs lists every input of the whole run (all shards), in order, so
	// that merge can tell a missing input from one never asked for.
	Inputs  []string `json:"inputs"`
	Done    int      `json:"done"`   // rows in Results
	Failed  int      `json:"failed"` // rows in Errors
	Results string   `json:"results"`
	JSONL   string   `json:"jsonl"`
	Errors  string   `json:"errors"`
}

const manifestVersion = 1

// SummaryNames lists the summary files a run (or shard) writes: results
// CSV, results JSONL, errors CSV and manifest. A shard's names carry
// ".shard-i-of-n", so shards can share one output folder.
func SummaryNames(s Shard) []string {
	sfx := s.suffix()
	return []string{"results" + sfx + ".csv", "results" + sfx + ".jsonl", "errors" + sfx + ".csv", "manifest" + sfx + ".json"}
}

// IsManifestName reports whether a file name is a run's or a shard's
// manifest (what merge looks for in a folder).
func IsManifestName(name string) bool {
	return name == "manifest.json" || (strings.HasPrefix(name, "manifest.shard-") && strings.HasSuffix(name, ".json"))
}

// InputsHash is the hash of a run's input list (one key a line).
func InputsHash(keys []string) string {
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

var errorsHeader = []string{"file", "reason"}

// EncodeErrors is errors.csv: file,reason (a header only when none failed).
func EncodeErrors(fails []Failure) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(errorsHeader)
	for _, f := range fails {
		// One line a failure: a reason with line breaks would still parse,
		// but grep and spreadsheets read single lines better.
		w.Write([]string{f.File, strings.Join(strings.Fields(f.Reason), " ")})
	}
	w.Flush()
	return b.Bytes()
}

// DecodeErrors reads errors.csv; name is used in errors.
func DecodeErrors(name string, data []byte) ([]Failure, error) {
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(rows) == 0 || len(rows[0]) != 2 || rows[0][0] != errorsHeader[0] || rows[0][1] != errorsHeader[1] {
		return nil, fmt.Errorf("%s: want the header file,reason", name)
	}
	out := make([]Failure, 0, len(rows)-1)
	for _, r := range rows[1:] {
		out = append(out, Failure{File: r[0], Reason: r[1]})
	}
	return out, nil
}

// Part is one shard's summary files, as merge reads them.
type Part struct {
	Source   string // where they came from, for messages (e.g. the manifest's path)
	Manifest []byte
	JSONL    []byte // the file named in the manifest's JSONL
	Errors   []byte // the file named in the manifest's Errors
}

// Merged is the union of a complete set of shards, in the run's input order.
type Merged struct {
	Manifest Manifest // Shard "0/1", as if one run
	Records  []record.Record
	Failures []Failure
}

// ParseManifest reads a manifest; name is used in errors.
func ParseManifest(name string, data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if m.Version != manifestVersion {
		return nil, fmt.Errorf("%s: manifest version %d, this program reads %d", name, m.Version, manifestVersion)
	}
	if InputsHash(m.Inputs) != m.InputsSHA256 {
		return nil, fmt.Errorf("%s: the input list does not match its hash (edited or truncated?)", name)
	}
	return &m, nil
}

// Merge combines the summaries of every shard of one run. It refuses
// shards of different runs (another input list or model), a shard given
// twice or missing, and any input missing, duplicated, unknown or found in
// the wrong shard.
func Merge(parts []Part) (*Merged, error) {
	if len(parts) == 0 {
		return nil, errors.New("merge: no shard manifests given")
	}
	type shardData struct {
		src   string
		shard Shard
		recs  []record.Record
		fails []Failure
	}
	var first *Manifest
	shards := make([]shardData, 0, len(parts))
	for _, p := range parts {
		m, err := ParseManifest(p.Source, p.Manifest)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		s, err := ParseShard(m.Shard)
		if err != nil {
			return nil, fmt.Errorf("merge: %s: %w", p.Source, err)
		}
		if first == nil {
			first = m
		} else {
			switch {
			case m.InputsSHA256 != first.InputsSHA256:
				return nil, fmt.Errorf("merge: %s and %s list different inputs: shards of different runs (same inputs and arguments needed)", parts[0].Source, p.Source)
			case m.ModelSHA256 != first.ModelSHA256:
				return nil, fmt.Errorf("merge: %s ran model %s (%.12s), %s ran %s (%.12s): shards of one run must use one model", parts[0].Source, first.Model, first.ModelSHA256, p.Source, m.Model, m.ModelSHA256)
			}
		}
		recs, err := record.ReadJSONL(bytes.NewReader(p.JSONL))
		if err != nil {
			return nil, fmt.Errorf("merge: %s: %s: %w", p.Source, m.JSONL, err)
		}
		fails, err := DecodeErrors(p.Source+": "+m.Errors, p.Errors)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		if len(recs) != m.Done || len(fails) != m.Failed {
			return nil, fmt.Errorf("merge: %s: manifest says %d done and %d failed, files hold %d and %d rows", p.Source, m.Done, m.Failed, len(recs), len(fails))
		}
		shards = append(shards, shardData{p.Source, s, recs, fails})
	}

	// Every shard index exactly once.
	n := max(1, shards[0].shard.Count)
	bySlot := make([]string, n)
	for _, s := range shards {
		if max(1, s.shard.Count) != n {
			return nil, fmt.Errorf("merge: %s is shard %s, %s is shard %s: different numbers of shards", shards[0].src, shards[0].shard, s.src, s.shard)
		}
		if prev := bySlot[s.shard.Index]; prev != "" {
			return nil, fmt.Errorf("merge: shard %s given twice (%s and %s)", s.shard, prev, s.src)
		}
		bySlot[s.shard.Index] = s.src
	}
	var missing []string
	for i, src := range bySlot {
		if src == "" {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("merge: shard(s) %s missing (no manifest found for them)", abbreviate(missing, 10))
	}

	// Every input exactly once, in the shard that owns it.
	pos := make(map[string]int, len(first.Inputs))
	for i, k := range first.Inputs {
		pos[k] = i
	}
	recAt := make([]*record.Record, len(first.Inputs))
	failAt := make([]*Failure, len(first.Inputs))
	var problems []string
	place := func(src string, s Shard, key string) (int, bool) {
		i, ok := pos[key]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: %s is not an input of this run", src, key))
		case !s.Owns(key):
			problems = append(problems, fmt.Sprintf("%s: %s belongs to shard %d/%d, not %s", src, key, Of(key, n), n, s))
			ok = false
		case recAt[i] != nil || failAt[i] != nil:
			problems = append(problems, fmt.Sprintf("%s: %s appears more than once", src, key))
			ok = false
		}
		return i, ok
	}
	for _, s := range shards {
		for j := range s.recs {
			if i, ok := place(s.src, s.shard, s.recs[j].File); ok {
				recAt[i] = &s.recs[j]
			}
		}
		for j := range s.fails {
			if i, ok := place(s.src, s.shard, s.fails[j].File); ok {
				failAt[i] = &s.fails[j]
			}
		}
	}
	var absent []string
	for i, k := range first.Inputs {
		if recAt[i] == nil && failAt[i] == nil {
			absent = append(absent, k)
		}
	}
	if len(absent) > 0 {
		problems = append(problems, fmt.Sprintf("%d input(s) in no shard's results or errors: %s", len(absent), abbreviate(absent, 10)))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("merge: %s", strings.Join(problems, "; "))
	}

	out := &Merged{Manifest: *first}
	for i := range first.Inputs {
		if recAt[i] != nil {
			out.Records = append(out.Records, *recAt[i])
		} else {
			out.Failures = append(out.Failures, *failAt[i])
		}
	}
	names := SummaryNames(Shard{})
	out.Manifest.Shard = Shard{}.String()
	out.Manifest.Done, out.Manifest.Failed = len(out.Records), len(out.Failures)
	out.Manifest.Results, out.Manifest.JSONL, out.Manifest.Errors = names[0], names[1], names[2]
	return out, nil
}

// Files renders the merged summary files, keyed by SummaryNames(Shard{}).
func (m *Merged) Files() (map[string][]byte, error) {
	return summaryFiles(Shard{}, m.Manifest, m.Records, m.Failures)
}

// summaryFiles renders results CSV and JSONL, errors CSV and the manifest.
func summaryFiles(s Shard, man Manifest, recs []record.Record, fails []Failure) (map[string][]byte, error) {
	names := SummaryNames(s)
	var jsonl bytes.Buffer
	if err := record.WriteJSONL(&jsonl, recs); err != nil {
		return nil, fmt.Errorf("%s: %w", names[1], err)
	}
	man.Version = manifestVersion
	man.Shard = s.String()
	man.Done, man.Failed = len(recs), len(fails)
	man.Results, man.JSONL, man.Errors = names[0], names[1], names[2]
	mj, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", names[3], err)
	}
	return map[string][]byte{
		names[0]: record.EncodeCSV(recs),
		names[1]: jsonl.Bytes(),
		names[2]: EncodeErrors(fails),
		names[3]: append(mj, '\n'),
	}, nil
}

func abbreviate(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:n], ", ") + fmt.Sprintf(" and %d more", len(list)-n)
}
