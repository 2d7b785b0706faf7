package quality

import "fmt"

// Confusion counts the check's verdicts against the truth. A mask is
// wrong when it is empty or its Dice against the reference outline is
// below 0.5 (the caller decides); the check should flag every wrong mask
// and few good ones.
type Confusion struct {
	FlaggedWrong, MissedWrong int // wrong masks: flagged (as it should), passed (a miss)
	FlaggedGood, PassedGood   int // good masks: flagged (a false alarm), passed
}

// Add counts one mask.
func (c *Confusion) Add(flagged, wrong bool) {
	switch {
	case wrong && flagged:
		c.FlaggedWrong++
	case wrong:
		c.MissedWrong++
	case flagged:
		c.FlaggedGood++
	default:
		c.PassedGood++
	}
}

// FlaggedGoodRate is the share of good masks flagged (0 when there are none).
func (c Confusion) FlaggedGoodRate() float64 {
	return rate(c.FlaggedGood, c.FlaggedGood+c.PassedGood)
}

// CaughtWrongRate is the share of wrong masks flagged (1 when there are none).
func (c Confusion) CaughtWrongRate() float64 {
	if c.FlaggedWrong+c.MissedWrong == 0 {
		return 1
	}
	return rate(c.FlaggedWrong, c.FlaggedWrong+c.MissedWrong)
}

func rate(a, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(a) / float64(n)
}

// Markdown is the table, with the two rates.
func (c Confusion) Markdown() string {
	return fmt.Sprintf("| mask | flagged | passed |\n| --- | --- | --- |\n| wrong (empty or Dice < 0.5) | %d | %d |\n| good | %d | %d |\n\nwrong masks flagged: %.0f %%; good masks flagged: %.1f %%\n",
		c.FlaggedWrong, c.MissedWrong, c.FlaggedGood, c.PassedGood, 100*c.CaughtWrongRate(), 100*c.FlaggedGoodRate())
}
