package report

import (
	"strconv"
	"strings"
)

// The page is written by hand rather than with html/template: the template
// engine (html/template, text/template and its parser, and regexp through
// them) was about 0.8 MB of the browser's 12 MB wasm, more than anything
// else the report needs. Every value written into the page goes through
// esc, which replaces exactly what html/template's escaper replaced, so the
// output is byte for byte what the template produced (tested against it in
// render_test.go). Everything is inline (CSS, images as data: URLs, SVG), so
// the saved file opens anywhere, offline, and prints one page per exam.

// head is the page up to the patient in the title; style the rest of <head>.
const head = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Muscle ultrasound report — `

const style = `</title>
<style>
body{font:13px/1.35 system-ui,"DejaVu Sans",sans-serif;color:#111;margin:0;background:#eee}
.page{background:#fff;max-width:190mm;margin:10px auto;padding:10mm 12mm;box-shadow:0 0 4px #999}
h1{font-size:18px;margin:0 0 4px}h2{font-size:14px;margin:14px 0 4px;border-bottom:1px solid #aaa}
.meta{display:grid;grid-template-columns:repeat(3,auto);gap:2px 16px;font-size:12px}
.ruo{border:2px solid #b00;color:#b00;font-weight:bold;padding:3px 6px;margin:6px 0;text-transform:uppercase;letter-spacing:.05em}
.caveat{font-size:11px;color:#444}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{border:1px solid #bbb;padding:2px 5px;text-align:right}
th:first-child,th:nth-child(2),td.m,td.s{text-align:left}
tr.mean td{font-weight:bold;background:#f3f3f3}
td.flag{color:#b00;font-weight:bold;white-space:nowrap}
.corr{color:#05a;font-size:11px}
.reading{padding:6px 8px;border-left:4px solid #555;background:#f7f7f7}
.reading.likely{border-color:#b00}.reading.uncertain{border-color:#c80}
.thumbs{display:flex;flex-wrap:wrap;gap:6px}
figure{margin:0;width:130px;font-size:10px}figure img{width:130px;border:1px solid #999}
.visits{display:flex;flex-wrap:wrap;gap:10px}
.visit{border:1px solid #ddd;padding:4px}
.plot .ax{stroke:#555}.plot .ln{fill:none;stroke:#05a;stroke-width:2}.plot .dt{fill:#05a}
.plot .ref{stroke:#b00;stroke-dasharray:4 3}.plot .pt{font-size:11px;font-weight:bold}.plot .tk{font-size:9px;fill:#333}
select{font:inherit}
@media print{
 body{background:#fff}
 .page{box-shadow:none;margin:0;max-width:none;padding:0;break-after:page;page-break-after:always}
 .page:last-child{break-after:auto;page-break-after:auto}
 select{appearance:none;-webkit-appearance:none;border:none}
 @page{size:A4;margin:12mm}
}
</style></head><body>
`

const corrected = ` <span class="corr">✎ corrected</span>`

// writer builds the page; put writes page text as is, val a value escaped.
// Neither is inlined: render has about 150 calls, and inlined they made it
// four times the size in the wasm.
type writer struct{ strings.Builder }

//go:noinline
func (w *writer) put(s ...string) {
	for _, p := range s {
		w.WriteString(p)
	}
}

//go:noinline
func (w *writer) val(s string) { w.WriteString(esc(s)) }

// or is the template's {{or s alt}} for a string.
func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// render writes the report of pages for patient id.
func render(id string, m Model, caveat string, pages []page) string {
	var w writer
	w.put(head)
	w.val(id)
	w.put(style)
	for _, pg := range pages {
		w.put(`<section class="page">
<h1>Muscle ultrasound — patient `)
		w.val(id)
		w.put("</h1>\n<div class=\"meta\">\n<span>Exam date: <b>")
		w.val(or(pg.Exam.Date, "not given"))
		w.put("</b></span>\n<span>Age: ")
		w.val(or(pg.Age, "—"))
		w.put("</span><span>Sex: ")
		w.val(or(pg.Sex, "—"))
		w.put("</span>\n<span>Operator: ")
		w.val(or(pg.Exam.Operator, "—"))
		w.put("</span>\n<span>Scanner: ")
		w.val(or(pg.Exam.Scanner, "—"))
		w.put("</span>\n<span>Preset: ")
		w.val(or(pg.Exam.Preset, "—"))
		w.put("</span>\n<span>Model: ")
		w.val(m.Name)
		w.put("</span>\n</div>\n")
		if m.ResearchOnly {
			w.put(`<div class="ruo">Research use only — not for diagnosis</div>`)
		}
		w.put("\n")
		if m.Warning != "" {
			w.put(`<p class="caveat">`)
			w.val(m.Warning)
			w.put(`</p>`)
		}
		w.put("\n\n<h2>Muscles</h2>\n<table>\n<thead><tr><th>Muscle</th><th>Side</th><th>CSA")
		if !pg.AnyPx {
			w.put(" (cm²)")
		}
		w.put("</th><th>EI</th><th>Expected EI</th><th>z</th><th>Flag</th><th>Heckmatt</th></tr></thead>\n<tbody>\n")
		for _, mr := range pg.Muscles {
			rows := strconv.Itoa(len(mr.Rows))
			for i, c := range mr.Rows {
				w.put("<tr")
				if c.Label == "mean of sides" {
					w.put(` class="mean"`)
				}
				w.put(">\n")
				if i == 0 {
					w.put(`<td class="m" rowspan="`, rows, `">`)
					w.val(mr.Name)
					w.put(`</td>`)
				}
				w.put("\n<td class=\"s\">")
				w.val(c.Label)
				if c.N > 1 {
					w.put(" (", strconv.Itoa(c.N), " images)")
				}
				if c.Corrected {
					w.put(corrected)
				}
				w.put("</td>\n<td>")
				w.val(c.CSA)
				w.put("</td><td>")
				w.val(c.EI)
				w.put("</td><td>")
				w.val(c.Expected)
				w.put("</td><td>")
				w.val(c.Z)
				w.put(`</td><td class="flag">`)
				w.val(c.Flag)
				w.put("</td>\n")
				if i == 0 {
					w.put(`<td rowspan="`, rows, `"><select name="heckmatt-`)
					w.val(mr.Key)
					w.put(`" aria-label="Heckmatt grade, `)
					w.val(mr.Name)
					w.put(`">`)
					for _, g := range mr.Grades {
						w.put("<option")
						if g == mr.Heckmatt {
							w.put(" selected")
						}
						w.put(">")
						w.val(g)
						w.put("</option>")
					}
					w.put("</select></td>")
				}
				w.put("\n</tr>\n")
			}
		}
		w.put(`</tbody></table>
<p class="caveat">CSA: cross-sectional area; EI: echo intensity, mean grey value 0–255 inside the outline; z: (EI − expected) / prediction SD; flag: z &gt; 2. Mean of sides: the average of left and right, as the flow chart reads one value per muscle. ✎: outline corrected by a person.</p>

<h2>Patient-level reading</h2>
<p class="reading `)
		if pg.Verdict == "neuromuscular disease likely" {
			w.put("likely")
		} else {
			w.val(pg.Verdict)
		}
		w.put(`">`)
		w.val(pg.Reading)
		w.put("</p>\n<p class=\"caveat\">Scanner caveat: ")
		w.val(caveat)
		w.put(".</p>\n\n")
		if len(pg.Thumbs) > 0 {
			w.put("<h2>Outlines</h2>\n<div class=\"thumbs\">")
			for _, t := range pg.Thumbs {
				w.put(`<figure><img alt="`)
				w.val(t.Caption)
				w.put(`" src="`)
				// The template's URL context: a data: URL passes its
				// normaliser unchanged, then is attribute-escaped.
				w.val(t.Src)
				w.put(`"><figcaption>`)
				w.val(t.Caption)
				if t.Corrected {
					w.put(corrected)
				}
				w.put("</figcaption></figure>")
			}
			w.put("</div>")
		}
		w.put("\n\n<h2>Visits (", strconv.Itoa(pg.NVisits), ")</h2>\n")
		if pg.NVisits < 2 {
			w.put(`<p class="caveat">One visit so far: the plots start with the second.</p>`)
		}
		w.put(`
<div class="visits">`)
		for _, v := range pg.Visits {
			w.put(`<div class="visit"><b>`)
			w.val(v.Muscle)
			w.put("</b>\n<table><thead><tr><th>Date</th><th>CSA</th><th>z</th></tr></thead><tbody>")
			for _, r := range v.Table {
				w.put(`<tr><td class="s">`)
				w.val(r.Date)
				w.put("</td><td>")
				w.val(r.CSA)
				w.put("</td><td>")
				w.val(r.Z)
				w.put("</td></tr>")
			}
			// The plots are markup built by svgPlot, which escapes its text.
			w.put("</tbody></table>\n", v.CSA, v.Z, "</div>")
		}
		w.put("</div>\n</section>\n")
	}
	w.put("</body></html>\n")
	return w.String()
}

// esc escapes a value for HTML text or a quoted attribute exactly as
// html/template did: & < > " ' and + as character references, NUL as
// U+FFFD. All of these are ASCII, so a byte loop is safe on any UTF-8 (or
// invalid) text.
func esc(s string) string { return replace(s, true) }

// escText is text/template's HTMLEscapeString, which the SVG plots used:
// the same without +.
func escText(s string) string { return replace(s, false) }

func replace(s string, plus bool) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		var r string
		switch s[i] {
		case 0:
			r = "\uFFFD"
		case '"':
			r = "&#34;"
		case '&':
			r = "&amp;"
		case '\'':
			r = "&#39;"
		case '<':
			r = "&lt;"
		case '>':
			r = "&gt;"
		case '+':
			if !plus {
				continue
			}
			r = "&#43;"
		default:
			continue
		}
		if last == 0 {
			b.Grow(len(s) + 8)
		}
		b.WriteString(s[last:i])
		b.WriteString(r)
		last = i + 1
	}
	if b.Len() == 0 && last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
