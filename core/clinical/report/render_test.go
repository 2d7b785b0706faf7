package report

import (
	"html/template"
	"slices"
	"sort"
	"strings"
	"testing"

	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
)

// The report used to be this html/template; render writes it by hand (the
// template engine was the largest part of the wasm the report needed). The
// tests below hold render to the template's output, byte for byte, on
// ordinary and hostile input, so the escaping is exactly as strict as it was.
var oracle = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Muscle ultrasound report — {{.Patient}}</title>
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
{{range .Pages}}<section class="page">
<h1>Muscle ultrasound — patient {{$.Patient}}</h1>
<div class="meta">
<span>Exam date: <b>{{or .Exam.Date "not given"}}</b></span>
<span>Age: {{or .Age "—"}}</span><span>Sex: {{or .Sex "—"}}</span>
<span>Operator: {{or .Exam.Operator "—"}}</span>
<span>Scanner: {{or .Exam.Scanner "—"}}</span>
<span>Preset: {{or .Exam.Preset "—"}}</span>
<span>Model: {{$.Model.Name}}</span>
</div>
{{if $.Model.ResearchOnly}}<div class="ruo">Research use only — not for diagnosis</div>{{end}}
{{with $.Model.Warning}}<p class="caveat">{{.}}</p>{{end}}

<h2>Muscles</h2>
<table>
<thead><tr><th>Muscle</th><th>Side</th><th>CSA{{if not .AnyPx}} (cm²){{end}}</th><th>EI</th><th>Expected EI</th><th>z</th><th>Flag</th><th>Heckmatt</th></tr></thead>
<tbody>
{{range .Muscles}}{{$m := .}}{{range $i, $c := .Rows}}<tr{{if eq $c.Label "mean of sides"}} class="mean"{{end}}>
{{if eq $i 0}}<td class="m" rowspan="{{len $m.Rows}}">{{$m.Name}}</td>{{end}}
<td class="s">{{$c.Label}}{{if gt $c.N 1}} ({{$c.N}} images){{end}}{{if $c.Corrected}} <span class="corr">✎ corrected</span>{{end}}</td>
<td>{{$c.CSA}}</td><td>{{$c.EI}}</td><td>{{$c.Expected}}</td><td>{{$c.Z}}</td><td class="flag">{{$c.Flag}}</td>
{{if eq $i 0}}<td rowspan="{{len $m.Rows}}"><select name="heckmatt-{{$m.Key}}" aria-label="Heckmatt grade, {{$m.Name}}">{{range $m.Grades}}<option{{if eq . $m.Heckmatt}} selected{{end}}>{{.}}</option>{{end}}</select></td>{{end}}
</tr>
{{end}}{{end}}</tbody></table>
<p class="caveat">CSA: cross-sectional area; EI: echo intensity, mean grey value 0–255 inside the outline; z: (EI − expected) / prediction SD; flag: z &gt; 2. Mean of sides: the average of left and right, as the flow chart reads one value per muscle. ✎: outline corrected by a person.</p>

<h2>Patient-level reading</h2>
<p class="reading {{if eq .Verdict "neuromuscular disease likely"}}likely{{else}}{{.Verdict}}{{end}}">{{.Reading}}</p>
<p class="caveat">Scanner caveat: {{$.Caveat}}.</p>

{{if .Thumbs}}<h2>Outlines</h2>
<div class="thumbs">{{range .Thumbs}}<figure><img alt="{{.Caption}}" src="{{.Src}}"><figcaption>{{.Caption}}{{if .Corrected}} <span class="corr">✎ corrected</span>{{end}}</figcaption></figure>{{end}}</div>{{end}}

<h2>Visits ({{.NVisits}})</h2>
{{if lt .NVisits 2}}<p class="caveat">One visit so far: the plots start with the second.</p>{{end}}
<div class="visits">{{range .Visits}}<div class="visit"><b>{{.Muscle}}</b>
<table><thead><tr><th>Date</th><th>CSA</th><th>z</th></tr></thead><tbody>{{range .Table}}<tr><td class="s">{{.Date}}</td><td>{{.CSA}}</td><td>{{.Z}}</td></tr>{{end}}</tbody></table>
{{.CSA}}{{.Z}}</div>{{end}}</div>
</section>
{{end}}</body></html>
`))

// The template's view of a page: the same fields, with the typed strings
// html/template needs to pass a data: URL and the SVG through.
type oThumb struct {
	Src       template.URL
	Caption   string
	Corrected bool
}

type oVisit struct {
	Muscle string
	CSA, Z template.HTML
	Table  []visitRow
}

type oPage struct {
	Exam     Exam
	Age, Sex string
	Muscles  []muscleRows
	Reading  string
	Verdict  string
	Thumbs   []oThumb
	Visits   []oVisit
	NVisits  int
	AnyPx    bool
}

// viaTemplate is what HTML wrote with the template, from the same pages.
func viaTemplate(t *testing.T, p Patient, m Model) string {
	t.Helper()
	exams := slices.Clone(p.Exams)
	sort.SliceStable(exams, func(i, j int) bool { return exams[i].Date < exams[j].Date })
	var pages []oPage
	for i, ex := range exams {
		pg := buildPage(p.ID, ex, exams[:i+1])
		op := oPage{pg.Exam, pg.Age, pg.Sex, pg.Muscles, pg.Reading, pg.Verdict, nil, nil, pg.NVisits, pg.AnyPx}
		for _, th := range pg.Thumbs {
			op.Thumbs = append(op.Thumbs, oThumb{template.URL(th.Src), th.Caption, th.Corrected})
		}
		for _, v := range pg.Visits {
			op.Visits = append(op.Visits, oVisit{v.Muscle, template.HTML(v.CSA), template.HTML(v.Z), v.Table})
		}
		pages = append(pages, op)
	}
	var b strings.Builder
	err := oracle.Execute(&b, struct {
		Patient string
		Model   Model
		Caveat  string
		Pages   []oPage
	}{p.ID, m, zscore.Caveat, pages})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// hostile puts markup, quotes, ampersands, pluses, a NUL and invalid UTF-8
// in every text the report shows.
const hostile = "<script>alert('x')</script> & \"q\" + '\x00\xff\ufdd0"

func hostilePatient(t *testing.T) Patient {
	r := func(file, muscle, side string) record.Record {
		x := rec(file, muscle, side, 7.1, 80, 70, 2.4, true)
		x.Sex = hostile
		age := 30.5
		x.AgeYears = &age
		return x
	}
	return Patient{ID: hostile, Exams: []Exam{
		{Date: hostile, Operator: hostile, Scanner: hostile, Preset: hostile,
			Heckmatt: map[string]string{"TA": hostile, hostile: hostile}, Images: []Image{
				{r(hostile+".png", "TA", "left"), tinyPNG(t)},
				{r("b.png", hostile, "right"), tinyPNG(t)},
				{r("c.png", hostile, hostile), nil},
			}},
		{Date: "2025-01-01+" + hostile, Images: []Image{{r("d.png", "TA", "L"), nil}, {r("e.png", "TA", "left"), nil}}},
	}}
}

func TestRenderMatchesTemplate(t *testing.T) {
	uncal := record.Record{File: "x.png", Muscle: "GM", Side: "right", CSAPx: 1234, EIMean: 50}
	flagged := record.Record{File: "ta_r.png", Muscle: "TA", Side: "right", CSACm2: f(0.4), EIMean: 90,
		EIExpected: f(70), Quality: "flagged", QualityReasons: "too small"}
	cases := []struct {
		name string
		p    Patient
		m    Model
	}{
		{"two visits", twoVisits(t), Model{Name: "myoseg-unet-phantom-v1", Warning: "Trained on synthetic phantoms only.", ResearchOnly: true}},
		{"uncalibrated", Patient{ID: "Q", Exams: []Exam{{Date: "2026-02-02", Images: []Image{{Record: uncal}}}}}, Model{Name: "m"}},
		{"flagged", Patient{ID: "Q", Exams: []Exam{{Images: []Image{{Record: rec("a.png", "TA", "left", 7, 70, 70, 0.1, false)}, {Record: flagged}}}}}, Model{}},
		{"hostile", hostilePatient(t), Model{Name: hostile, Warning: hostile, ResearchOnly: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := HTML(c.p, c.m)
			if err != nil {
				t.Fatal(err)
			}
			want := viaTemplate(t, c.p, c.m)
			if string(got) != want {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				lo := max(0, i-80)
				t.Fatalf("differs from the template at byte %d:\n got …%q\nwant …%q", i, got[lo:min(len(got), i+80)], want[lo:min(len(want), i+80)])
			}
		})
	}
}

// No value reaches the page unescaped: the hostile patient's script, quotes
// and ampersands appear only as character references.
func TestHTMLEscapesEveryValue(t *testing.T) {
	out, err := HTML(hostilePatient(t), Model{Name: hostile, Warning: hostile})
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, bad := range []string{"<script", "'x'", `"q"`, "& \"", "\x00"} {
		if strings.Contains(s, bad) {
			t.Errorf("report contains %q unescaped", bad)
		}
	}
	want := "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;q&#34; &#43; &#39;\uFFFD"
	if n := strings.Count(s, want); n < 10 {
		t.Errorf("the escaped hostile text appears %d times, want every field (≥ 10)", n)
	}
}
