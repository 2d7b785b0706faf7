package batch

import (
	"fmt"
	"strings"
	"time"
)

// Rate is the images segmented per second so far; skipped images cost
// nothing and do not count. 0 until one is segmented.
func (p Progress) Rate() float64 {
	if p.Segmented == 0 || p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Segmented) / p.Elapsed.Seconds()
}

// Left estimates the time to finish at the current rate; ok is false
// before there is a rate.
func (p Progress) Left() (d time.Duration, ok bool) {
	r := p.Rate()
	if r == 0 {
		return 0, p.Done == p.Total
	}
	return time.Duration(float64(p.Total-p.Done) / r * float64(time.Second)), true
}

// Bar is a one-line progress bar of the given width in characters (a
// terminal's; the bar shrinks to fit, and is left out below 50):
//
//	312/500  62% [██████████████▌         ] 2.9 img/s  1m05s left  3 failed
func (p Progress) Bar(width int) string {
	counts := fmt.Sprintf("%*d/%d %3d%%", len(fmt.Sprint(p.Total)), p.Done, p.Total, percent(p.Done, p.Total))
	tail := " " + p.rateText() + "  " + p.leftText()
	if p.Failed > 0 {
		tail += fmt.Sprintf("  %d failed", p.Failed)
	}
	room := width - len([]rune(counts)) - len([]rune(tail)) - 3
	if room < 10 {
		return counts + tail
	}
	room = min(room, 40)
	return counts + " [" + cells(p.Done, p.Total, room) + "]" + tail
}

// Line is the progress as a log line, for output that is not a terminal.
func (p Progress) Line() string {
	s := fmt.Sprintf("%d/%d images (%d%%), %s, %s", p.Done, p.Total, percent(p.Done, p.Total), p.rateText(), p.leftText())
	if p.Skipped > 0 {
		s += fmt.Sprintf(", %d already done", p.Skipped)
	}
	if p.Failed > 0 {
		s += fmt.Sprintf(", %d failed", p.Failed)
	}
	return s
}

func (p Progress) rateText() string {
	r := p.Rate()
	switch {
	case r == 0:
		return "– img/s"
	case r < 10:
		return fmt.Sprintf("%.2f img/s", r)
	}
	return fmt.Sprintf("%.1f img/s", r)
}

func (p Progress) leftText() string {
	d, ok := p.Left()
	if !ok {
		return "time left unknown"
	}
	return Duration(d) + " left"
}

func percent(done, total int) int {
	if total == 0 {
		return 100
	}
	return done * 100 / total
}

// cells draws done/total as n cells with eighth-cell resolution.
func cells(done, total, n int) string {
	eighths := n * 8
	if total > 0 {
		eighths = done * n * 8 / total
	}
	full, part := eighths/8, eighths%8
	var b strings.Builder
	b.WriteString(strings.Repeat("█", full))
	if full < n {
		if part > 0 {
			b.WriteRune([]rune("▏▎▍▌▋▊▉")[part-1])
			full++
		}
		b.WriteString(strings.Repeat(" ", n-full))
	}
	return b.String()
}

// Duration prints a duration for people: 45s, 3m05s, 2h07m.
func Duration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
}
