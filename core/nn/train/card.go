package train

import (
	"fmt"
	"strings"

	"myoseg/core/nn/onnxmodel"
)

// Card writes the model card of an adapted model (Markdown): where it came
// from, what it was adapted on, and what the held-out patients say.
func Card(r *Result, parent onnxmodel.Info) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.Name)
	fmt.Fprintf(&b, "Adapted from **%s** on %s by fine-tuning on %d corrected images of %d patients (core/nn/train, docs/adapt.md).\n\n",
		r.Parent, r.Date.Format("2006-01-02"), r.TrainImages, len(r.TrainPatients))
	if parent.Warning != "" {
		fmt.Fprintf(&b, "**Warning (inherited):** %s\n\n", parent.Warning)
	}
	b.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Parent | %s (%s) |\n", r.Parent, parent.TrainedOn)
	fmt.Fprintf(&b, "| Adapted on | %s |\n", r.Date.Format("2006-01-02"))
	fmt.Fprintf(&b, "| Training images | %d, patients %s |\n", r.TrainImages, strings.Join(r.TrainPatients, ", "))
	fmt.Fprintf(&b, "| Held-out images | %d, patients %s (never trained on) |\n", r.HeldOut, strings.Join(r.HeldOutPatients, ", "))
	fmt.Fprintf(&b, "| Held-out Dice | %.4f before → %.4f after (best epoch %d of %d) |\n", r.Before, r.After, r.BestEpoch, r.Epochs)
	fmt.Fprintf(&b, "| Settings | %s; loss BCE + soft Dice; %d weights trained |\n", r.Settings, r.Parameters)
	fmt.Fprintf(&b, "| Time | %.0f s |\n\n", r.Elapsed.Seconds())
	b.WriteString("The held-out Dice is measured on the patients above only: a few images of a few people. " +
		"It says the adaptation did not hurt on them, not that the model is accurate on this clinic's population. " +
		"Check results against the parent model before relying on them.\n")
	return b.String()
}
