package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"myoseg/core/batch"
)

type progressKind int

const (
	progressNone progressKind = iota
	progressBar
	progressLog
)

// progressMode reads --progress; auto is a bar on a terminal, else log lines.
func progressMode(v string, w io.Writer) (progressKind, error) {
	switch v {
	case "none":
		return progressNone, nil
	case "bar":
		return progressBar, nil
	case "log":
		return progressLog, nil
	case "auto":
		if isTerminal(w) {
			return progressBar, nil
		}
		return progressLog, nil
	}
	return 0, fmt.Errorf("--progress must be auto, bar, log or none, got %q", v)
}

// isTerminal reports whether w is a character device (a terminal) and the
// terminal can move the cursor back.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressWriter draws a bar redrawn in place (at most 10 times a second)
// or writes a log line every 10 seconds.
type progressWriter struct {
	w     io.Writer
	kind  progressKind
	width int
	last  time.Time
	p     batch.Progress
	drawn bool
}

func newProgressWriter(w io.Writer, kind progressKind) *progressWriter {
	width := 80
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 20 {
		width = c
	}
	return &progressWriter{w: w, kind: kind, width: width - 1, last: time.Now()}
}

// start draws the empty bar, so a long first image does not look like a hang.
func (pw *progressWriter) start(total int) {
	if pw.kind == progressBar && total > 0 {
		pw.p = batch.Progress{Total: total}
		fmt.Fprintf(pw.w, "\r%s\x1b[K", pw.p.Bar(pw.width))
		pw.drawn = true
	}
}

func (pw *progressWriter) update(p batch.Progress) {
	pw.p = p
	now := time.Now()
	switch pw.kind {
	case progressBar:
		if now.Sub(pw.last) >= 100*time.Millisecond || p.Done == p.Total {
			fmt.Fprintf(pw.w, "\r%s\x1b[K", p.Bar(pw.width))
			pw.last, pw.drawn = now, true
		}
	case progressLog:
		if now.Sub(pw.last) >= 10*time.Second || p.Done == p.Total {
			fmt.Fprintln(pw.w, "batch:", p.Line())
			pw.last = now
		}
	}
}

func (pw *progressWriter) finish() {
	if pw.kind == progressBar && pw.drawn {
		fmt.Fprintf(pw.w, "\r%s\x1b[K\n", pw.p.Bar(pw.width))
	}
}
