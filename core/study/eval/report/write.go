package report

import (
	"fmt"
	"html"
	"image/color"
	"strings"
)

// Box colours for the metric series (Okabe–Ito, lighter so the median line
// shows).
var (
	colourDice      = color.RGBA{86, 180, 233, 255}  // sky blue
	colourPrecision = color.RGBA{240, 228, 66, 255}  // yellow
	colourRecall    = color.RGBA{204, 121, 167, 255} // reddish purple
)

// mdCell escapes what would break a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}

func markdown(d document) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", d.title)
	for _, p := range d.header {
		fmt.Fprintf(&b, "%s\n\n", p)
	}
	for _, s := range d.sections {
		fmt.Fprintf(&b, "## %s\n\n", s.title)
		for _, p := range s.intro {
			fmt.Fprintf(&b, "%s\n\n", p)
		}
		for _, bl := range s.blocks {
			for _, t := range bl.tables {
				if t.caption != "" {
					fmt.Fprintf(&b, "**%s**\n\n", t.caption)
				}
				b.WriteString("|")
				for _, h := range t.head {
					fmt.Fprintf(&b, " %s |", mdCell(h))
				}
				b.WriteString("\n|")
				for range t.head {
					b.WriteString(" --- |")
				}
				b.WriteString("\n")
				for _, r := range t.rows {
					b.WriteString("|")
					for _, c := range r {
						fmt.Fprintf(&b, " %s |", mdCell(c))
					}
					b.WriteString("\n")
				}
				b.WriteString("\n")
				for _, n := range t.notes {
					fmt.Fprintf(&b, "%s\n\n", n)
				}
			}
			for _, l := range bl.list {
				fmt.Fprintf(&b, "- %s\n", l)
			}
			if len(bl.list) > 0 {
				b.WriteString("\n")
			}
			for _, p := range bl.plots {
				fmt.Fprintf(&b, "![%s](%s)\n\n", p.alt, p.file)
			}
		}
	}
	return b.String()
}

const css = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em auto;max-width:1800px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}
.row{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start;margin-bottom:1em}
.tables{flex:1 1 600px;min-width:0;overflow-x:auto}
.plots{flex:0 1 540px;display:flex;flex-direction:column;gap:1em}
.plots img{width:540px;max-width:100%;border:1px solid #ddd}
table{border-collapse:collapse;font-size:0.9em;margin-bottom:1em}
th,td{border:1px solid #ccc;padding:0.25em 0.5em;text-align:right;white-space:nowrap}
th{background:#f3f3f3;white-space:normal;vertical-align:bottom;max-width:9em}td:first-child,th:first-child{text-align:left}
caption{text-align:left;font-weight:bold;padding:0.3em 0}
.note{color:#555;font-size:0.9em}code{background:#f3f3f3;padding:0 0.2em}
ul.problems{font-size:0.85em;max-height:30em;overflow-y:auto}`

// inline turns `code` spans into <code> after escaping.
func inline(s string) string {
	parts := strings.Split(html.EscapeString(s), "`")
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString("<code>" + p + "</code>")
		} else {
			if i%2 == 1 {
				b.WriteString("`")
			}
			b.WriteString(p)
		}
	}
	return b.String()
}

func htmlDoc(d document) string {
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title>\n<style>%s</style></head><body>\n", esc(d.title), css)
	fmt.Fprintf(&b, "<h1>%s</h1>\n", esc(d.title))
	for _, p := range d.header {
		fmt.Fprintf(&b, "<p>%s</p>\n", inline(p))
	}
	for _, s := range d.sections {
		fmt.Fprintf(&b, "<h2>%s</h2>\n", esc(s.title))
		for _, p := range s.intro {
			fmt.Fprintf(&b, "<p class=\"note\">%s</p>\n", inline(p))
		}
		for _, bl := range s.blocks {
			b.WriteString("<div class=\"row\"><div class=\"tables\">\n")
			for _, t := range bl.tables {
				b.WriteString("<table>")
				if t.caption != "" {
					fmt.Fprintf(&b, "<caption>%s</caption>", esc(t.caption))
				}
				b.WriteString("<thead><tr>")
				for _, h := range t.head {
					fmt.Fprintf(&b, "<th>%s</th>", esc(h))
				}
				b.WriteString("</tr></thead><tbody>\n")
				for _, r := range t.rows {
					b.WriteString("<tr>")
					for _, c := range r {
						fmt.Fprintf(&b, "<td>%s</td>", esc(c))
					}
					b.WriteString("</tr>\n")
				}
				b.WriteString("</tbody></table>\n")
				for _, n := range t.notes {
					fmt.Fprintf(&b, "<p class=\"note\">%s</p>\n", inline(n))
				}
			}
			if len(bl.list) > 0 {
				b.WriteString("<ul class=\"problems\">\n")
				for _, l := range bl.list {
					fmt.Fprintf(&b, "<li>%s</li>\n", esc(l))
				}
				b.WriteString("</ul>\n")
			}
			b.WriteString("</div>")
			if len(bl.plots) > 0 {
				b.WriteString("<div class=\"plots\">")
				for _, p := range bl.plots {
					fmt.Fprintf(&b, "<a href=\"%s\"><img src=\"%s\" alt=\"%s\"></a>", esc(p.file), esc(p.file), esc(p.alt))
				}
				b.WriteString("</div>")
			}
			b.WriteString("</div>\n")
		}
	}
	b.WriteString("</body></html>\n")
	return b.String()
}
