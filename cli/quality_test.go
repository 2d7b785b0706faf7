package cli

import (
	"bytes"
	"strings"
	"testing"

	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
)

// The table says why a z-score is missing, and marks a research-only one
// next to the number.
func TestPrintTableQuality(t *testing.T) {
	z, exp, no := -1.25, 60.0, false
	recs := []record.Record{
		{File: "good.png", Z: &z, EIExpected: &exp, Abnormal: &no, ZNote: zscore.ResearchOnly + "; " + zscore.Caveat, Quality: "ok", CalibrationSource: "none"},
		{File: "bad.png", Quality: "flagged", QualityReasons: "no muscle found: the mask is empty", ZNote: "not computed: mask flagged (no muscle found: the mask is empty)", CalibrationSource: "none"},
	}
	var b bytes.Buffer
	printTable(&b, recs)
	out := b.String()
	for _, want := range []string{"-1.25 (research use only)", "not computed: mask flagged", "bad.png: mask flagged: no muscle found: the mask is empty\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "good.png: mask") {
		t.Errorf("a good mask is listed as flagged:\n%s", out)
	}
}
