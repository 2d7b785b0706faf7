package phantom

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// FS is where WriteDataset writes; the command passes the operating
// system's file system, tests a map. Paths use '/'.
type FS interface {
	MkdirAll(dir string) error
	WriteFile(name string, data []byte) error
}

// Groups returns the group folder names, in folder order.
func Groups() [2]string { return [2]string{"Healthy", "Pathological"} }

// Muscles returns the version 1 muscle folder names, in folder order
// (Config.Muscles gives any version's).
func Muscles() [3]string { return muscleOrder }

// truthHeader and characteristicsHeader are the CSV headers written.
const (
	characteristicsHeader = "ID,age,sex,height,weight"
	truthHeader           = "file,ei_mean,ei_sd,csa_px,heckmatt"
)

// WriteDataset renders cfg.N images with runtime.GOMAXPROCS workers and
// writes them under dir in the seed layout:
// dir/<muscle>/{Healthy,Pathological}/{Images,Masks}/<ID>_<k>.png (muscles
// cfg.Muscles()), plus
// characteristics.csv and truth.csv per group. progress, if not nil, is
// called after each image with the number done (from one goroutine at a time).
func WriteDataset(ctx context.Context, fsys FS, dir string, cfg Config, progress func(done int)) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	for _, m := range cfg.Muscles() {
		for _, g := range Groups() {
			for _, sub := range []string{"Images", "Masks"} {
				d := path.Join(dir, m, g, sub)
				if err := fsys.MkdirAll(d); err != nil {
					return fmt.Errorf("phantom: create %s: %w", d, err)
				}
			}
		}
	}
	slots := plan(cfg.Seed, cfg.N)

	type result struct {
		row truthRow
		err error
	}
	jobs := make(chan int)
	results := make(chan result)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := newScratch()
			var buf bytes.Buffer
			for i := range jobs {
				s := renderAny(cfg, i, slots[i], sc)
				row, err := writeSample(fsys, dir, s, &buf)
				select {
				case results <- result{row, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range slots {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	rows := make([]truthRow, 0, len(slots))
	var firstErr error
	for res := range results {
		if res.err != nil && firstErr == nil {
			firstErr = res.err
			cancel()
		}
		if res.err == nil {
			rows = append(rows, res.row)
			if progress != nil {
				progress(len(rows))
			}
		}
	}
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("phantom: write %s: %w", dir, err)
	}
	return writeTables(fsys, dir, cfg.Muscles(), rows)
}

// truthRow is what the tables need from one written sample.
type truthRow struct {
	index        int
	muscle       string
	pathological bool
	subject      Subject
	file         string
	eiMean, eiSD float64
	csa, heck    int
}

func writeSample(fsys FS, dir string, s Sample, buf *bytes.Buffer) (truthRow, error) {
	base := path.Join(dir, s.Muscle, s.Group())
	name := s.FileName()
	for _, f := range []struct {
		sub string
		img *image.Gray
	}{{"Images", s.Image}, {"Masks", s.Mask}} {
		buf.Reset()
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		p := path.Join(base, f.sub, name)
		if err := enc.Encode(buf, f.img); err != nil {
			return truthRow{}, fmt.Errorf("phantom: encode %s: %w", p, err)
		}
		if err := fsys.WriteFile(p, buf.Bytes()); err != nil {
			return truthRow{}, fmt.Errorf("phantom: write %s: %w", p, err)
		}
	}
	return truthRow{
		index: s.Index, muscle: s.Muscle, pathological: s.Pathological,
		subject: s.Subject, file: name,
		eiMean: s.EIMean, eiSD: s.EISD, csa: s.CSAPx, heck: s.Heckmatt,
	}, nil
}

// writeTables writes characteristics.csv (one row per subject with at
// least one image) and truth.csv (one row per image) in every group folder,
// rows in image order.
func writeTables(fsys FS, dir string, muscles []string, rows []truthRow) error {
	sort.Slice(rows, func(a, b int) bool { return rows[a].index < rows[b].index })
	for _, m := range muscles {
		for gi, g := range Groups() {
			var ch, tr strings.Builder
			ch.WriteString(characteristicsHeader + "\n")
			tr.WriteString(truthHeader + "\n")
			seen := map[string]bool{}
			for _, r := range rows {
				if r.muscle != m || r.pathological != (gi == 1) {
					continue
				}
				if !seen[r.subject.ID] {
					seen[r.subject.ID] = true
					fmt.Fprintf(&ch, "%s,%d,%s,%d,%.1f\n", r.subject.ID, r.subject.Age, r.subject.Sex, r.subject.HeightCm, r.subject.WeightKg)
				}
				fmt.Fprintf(&tr, "%s,%.4f,%.4f,%d,%d\n", r.file, r.eiMean, r.eiSD, r.csa, r.heck)
			}
			for _, f := range []struct{ name, text string }{
				{"characteristics.csv", ch.String()},
				{"truth.csv", tr.String()},
			} {
				p := path.Join(dir, m, g, f.name)
				if err := fsys.WriteFile(p, []byte(f.text)); err != nil {
					return fmt.Errorf("phantom: write %s: %w", p, err)
				}
			}
		}
	}
	return nil
}
