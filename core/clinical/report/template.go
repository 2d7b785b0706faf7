package report

import "html/template"

// tmpl is the page. Everything is inline (CSS, images as data: URLs, SVG),
// so the saved file opens anywhere, offline, and prints one page per exam.
var tmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
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
