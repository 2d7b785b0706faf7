package dataset

import "sort"

// IDs lists the table's subjects (as NormalizeID writes them), sorted, for
// a caller that imports the whole table (the page's patient import).
func (c *Characteristics) IDs() []string {
	out := make([]string, 0, len(c.rows))
	for id := range c.rows {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
