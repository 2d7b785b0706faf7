//go:build js && wasm

package main

import (
	"encoding/json"
	"testing"
)

// The page builds its dropdowns, folder-name guesses and file-size check
// from this message alone, so its shape is checked as the page reads it.
func TestConstants(t *testing.T) {
	b, err := json.Marshal(constants())
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Muscles     []named `json:"muscles"`
		Calibration []named `json:"calibration"`
		Limits      struct {
			MaxFileBytes int64 `json:"maxFileBytes"`
			MaxPixels    int64 `json:"maxPixels"`
		} `json:"limits"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	wantMuscles := []named{
		{"biceps_brachii", "Biceps brachii", "BB"}, {"tibialis_anterior", "Tibialis anterior", "TA"},
		{"gastrocnemius_medialis", "Gastrocnemius medialis", "GM"}, {"rectus_femoris", "Rectus femoris", "RF"},
		{"vastus_lateralis", "Vastus lateralis", "VL"},
	}
	if len(c.Muscles) != len(wantMuscles) {
		t.Fatalf("muscles = %+v, want %+v", c.Muscles, wantMuscles)
	}
	for i, m := range wantMuscles {
		if c.Muscles[i] != m {
			t.Errorf("muscle %d = %+v, want %+v", i, c.Muscles[i], m)
		}
	}
	labels := map[string]string{}
	for _, s := range c.Calibration {
		if s.Code != "" {
			t.Errorf("calibration source %q has a code %q", s.Key, s.Code)
		}
		labels[s.Key] = s.Label
	}
	if len(labels) != 5 || labels["user-cm-per-px"] != "entered cm/px" || labels["none"] != "none (px)" {
		t.Errorf("calibration labels = %v", labels)
	}
	if c.Limits.MaxFileBytes != 256<<20 || c.Limits.MaxPixels != 1<<25 {
		t.Errorf("limits = %+v, want 256 MiB and 2^25 px", c.Limits)
	}
}
