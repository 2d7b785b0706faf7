package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"myoseg/core/batch"
	"myoseg/core/clinical/zscore"
)

// printSummary is batch's report on stdout: counts, time per stage, peak
// memory, the patient-level readings and the files written.
func printSummary(w io.Writer, out string, s *batch.Summary) {
	rate := ""
	if s.Segmented > 0 && s.Elapsed > 0 {
		rate = fmt.Sprintf(" (%.2f images/s)", float64(s.Segmented)/s.Elapsed.Seconds())
	}
	fmt.Fprintf(w, "%d images: %d segmented, %d already done, %d failed, in %s%s\n",
		s.Total, s.Segmented, s.Skipped, len(s.Failures), s.Elapsed.Round(10*time.Millisecond), rate)
	if n := time.Duration(s.Segmented); n > 0 {
		t := s.Timing
		ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d/n)/1e6, 'f', 1, 64) }
		fmt.Fprintf(w, "per image (ms, per worker): read %s, decode %s, prepare %s, inference %s, post-processing %s, measure %s, render %s, write %s\n",
			ms(t.Read), ms(t.Decode), ms(t.Prepare), ms(t.Infer), ms(t.Post), ms(t.Measure), ms(t.Render), ms(t.Write))
	}
	if peak, ok := peakRSS(); ok {
		fmt.Fprintf(w, "peak memory: %.0f MiB\n", float64(peak)/(1<<20))
	}
	if len(s.Readings) > 0 {
		printReadings(w, s.Readings)
		fmt.Fprintln(w, "note:", zscore.Caveat)
	}
	for _, f := range s.Files {
		fmt.Fprintln(w, "wrote", filepath.Join(out, f))
	}
}

// printReadings prints the flow chart's patient-level readings, one line
// each.
func printReadings(w io.Writer, rs []zscore.PatientReading) {
	if len(rs) == 0 {
		return
	}
	if len(rs) == 1 && rs[0].PatientID == "" {
		fmt.Fprintln(w, "patient-level reading:", rs[0])
	} else {
		fmt.Fprintln(w, "patient-level readings:")
		for _, r := range rs {
			fmt.Fprintln(w, " ", r)
		}
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// peakRSS is the process's peak resident memory (Linux; ok false elsewhere).
func peakRSS() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := strings.Fields(string(v))
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err == nil
			}
		}
	}
	return 0, false
}
