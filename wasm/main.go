//go:build js && wasm

// Command wasm is the browser shim: the myoseg core compiled to WebAssembly,
// run inside a Web Worker (web/worker.js). It moves messages between the
// page and package app, and tells the page what the core knows that the
// page shows (muscles, calibration sources, size limits: "constants").
//
// Protocol (page → worker): {type, rid, json, bytes?, mask?}, where json is a
// JSON string with the message's fields and bytes/mask are transferred
// ArrayBuffers. Replies (worker → page): {type, rid, json, ...buffers}, type
// being the request's type, "progress" or "error".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"runtime/debug"
	"syscall/js"
	"time"

	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/indexeddb"
	"github.com/hack-pad/hackpadfs/mem"

	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/calib"
	"myoseg/core/imaging/contour"
	"myoseg/wasm/app"
	"myoseg/wasm/edit"
	"myoseg/wasm/jsbytes"
	"myoseg/wasm/session"
	"myoseg/wasm/startup"
)

// worker holds this Go instance's state; the store opens once, in the
// background, and every message waits for it.
type worker struct {
	ready   chan struct{}
	edit    edit.Editor
	app     *app.App
	storage string // "indexeddb", or "memory" when IndexedDB is unavailable
	openErr error
}

func main() {
	startup.Begin() // until the first image's result (package startup)
	w := &worker{ready: make(chan struct{})}
	go w.open()
	js.Global().Set("myosegHandle", js.FuncOf(func(_ js.Value, args []js.Value) any {
		// IndexedDB calls block until the browser answers, which needs this
		// callback to return first: all work runs on its own goroutine.
		go w.handle(args[0])
		return nil
	}))
	js.Global().Call("myosegReady")
	select {}
}

func (w *worker) open() {
	defer close(w.ready)
	var fsys hackpadfs.FS
	idb, err := indexeddb.NewFS(context.Background(), "myoseg", indexeddb.Options{})
	if err == nil {
		fsys, w.storage = idb, "indexeddb"
	} else {
		// Private windows may refuse IndexedDB: work, but say nothing persists.
		m, merr := mem.NewFS()
		if merr != nil {
			w.openErr = fmt.Errorf("storage: %v; memory FS: %v", err, merr)
			return
		}
		fsys, w.storage = m, "memory"
	}
	st, err := session.New(fsys)
	if err != nil {
		w.openErr = err
		return
	}
	w.app = app.New(st)
	if err := w.app.OpenLibrary(fsys); err != nil {
		w.openErr = err
	}
}

// message is what every request carries in its json field.
type message struct {
	// model (app.ModelRequest); models, model-add (Name: the file's name),
	// model-read, model-delete (SHA256)
	Name     string            `json:"name"`
	URL      string            `json:"url"`
	SHA256   string            `json:"sha256"`
	Stored   bool              `json:"stored"`
	Adopted  bool              `json:"adopted"`
	Fallback *app.ModelRequest `json:"fallback"`
	Meta     app.StoredModel   `json:"meta"`
	Served   []app.ModelRef    `json:"served"`
	// run
	Job app.Job `json:"job"`
	// restore, remeasure, render, remove
	ID      string           `json:"id"`
	Options session.Options  `json:"options"`
	Patient *session.Patient `json:"patient"`
	Save    bool             `json:"save"`
	Kind    string           `json:"kind"`
	// csv, zip, patients, readings
	Records  []record.Record     `json:"records"`
	Group    string              `json:"group"`
	Patients []session.Patient   `json:"patients"`
	Scores   []app.PatientScores `json:"scores"`
	// the clinic's workflow (app/clinic.go): ZIP questions, tables, report, SR
	Zip       session.ZipOptions           `json:"zip"`
	Names     []string                     `json:"names"`
	SexOne    string                       `json:"sexOne"`
	PatientID string                       `json:"patientId"`
	ExamDate  string                       `json:"examDate"`
	Reading   string                       `json:"reading"`
	Heckmatt  map[string]map[string]string `json:"heckmatt"`
	// hand editing (package edit): image size, clicks and handles in
	// pixels, a livewire stretch, a nudge
	Width    int             `json:"width"`
	Height   int             `json:"height"`
	Clicks   []contour.Point `json:"clicks"`
	Straight []bool          `json:"straight"`
	Snap     bool            `json:"snap"`
	From     contour.Point   `json:"from"`
	To       contour.Point   `json:"to"`
	Handles  []contour.Point `json:"handles"`
	At       contour.Point   `json:"at"`
	Radius   float64         `json:"radius"`
	Index    int             `json:"index"`
	Fill     bool            `json:"fill"`
}

// reply is one message to the page: JSON fields plus transferred buffers.
type reply struct {
	typ  string
	body any
	bufs map[string][]byte
}

func (w *worker) handle(msg js.Value) {
	typ, rid := msg.Get("type").String(), msg.Get("rid").Int()
	post := func(r reply) {
		obj := map[string]any{"type": r.typ, "rid": rid}
		if r.body != nil {
			b, err := json.Marshal(r.body)
			if err != nil {
				r = reply{typ: "error", body: map[string]string{"error": err.Error()}}
				b, _ = json.Marshal(r.body)
				obj["type"] = "error"
			}
			obj["json"] = string(b)
		}
		var transfer []any
		for k, v := range r.bufs {
			arr := jsbytes.To(v)
			obj[k] = arr
			transfer = append(transfer, arr.Get("buffer"))
		}
		js.Global().Call("myosegPost", obj, transfer)
	}
	defer func() {
		// One bad message must not take the worker (and its queue) down.
		if p := recover(); p != nil {
			post(reply{typ: "error", body: map[string]string{"error": fmt.Sprintf("internal error (please report): %v\n%s", p, debug.Stack())}})
		}
	}()
	<-w.ready
	if w.openErr != nil {
		post(reply{typ: "error", body: map[string]string{"error": w.openErr.Error()}})
		return
	}
	var m message
	if s := msg.Get("json"); s.Type() == js.TypeString {
		if err := json.Unmarshal([]byte(s.String()), &m); err != nil {
			post(reply{typ: "error", body: map[string]string{"error": "bad message: " + err.Error()}})
			return
		}
	}
	r, err := w.do(typ, m, msg, func(stage string) {
		post(reply{typ: "progress", body: map[string]string{"stage": stage}})
	})
	if err != nil {
		post(reply{typ: "error", body: map[string]string{"error": err.Error()}})
		return
	}
	r.typ = typ
	post(r)
}

func (w *worker) do(typ string, m message, msg js.Value, progress func(string)) (reply, error) {
	ctx := context.Background()
	a := w.app
	switch typ {
	case "constants":
		return reply{body: constants()}, nil
	case "model":
		req := app.ModelRequest{Name: m.Name, URL: m.URL, SHA256: m.SHA256, Stored: m.Stored, Adopted: m.Adopted, Fallback: m.Fallback,
			Bytes: jsbytes.From(msg.Get("bytes"))}
		get := func(_ context.Context, url string) ([]byte, error) { return fetchBytes(url) }
		info, fellBack, err := a.Load(ctx, req, get, time.Now())
		if err != nil {
			return reply{}, err
		}
		return reply{body: map[string]any{"info": info, "storage": w.storage, "fellBack": fellBack}}, nil
	case "models":
		list, err := a.StoredModels()
		return reply{body: map[string]any{"models": list, "storage": w.storage}}, err
	case "model-add":
		e, err := a.AddModel(m.Name, jsbytes.From(msg.Get("bytes")), m.Meta, m.Served, time.Now())
		return reply{body: map[string]any{"model": e}}, err
	case "model-read":
		b, e, err := a.StoredModel(m.SHA256)
		return reply{body: map[string]any{"model": e}, bufs: map[string][]byte{"file": b}}, err
	case "model-delete":
		return reply{body: map[string]bool{"ok": true}}, a.DeleteModel(m.SHA256)
	case "list":
		items, ps, err := a.List()
		return reply{body: map[string]any{"items": items, "patients": ps}}, err
	case "run":
		data := jsbytes.From(msg.Get("bytes"))
		out, err := a.Run(ctx, m.Job, data, progress)
		startup.End()
		if err != nil {
			return reply{}, err
		}
		return outputReply(out), nil
	case "restore":
		out, err := a.Restore(m.ID)
		if err != nil {
			return reply{}, err
		}
		return outputReply(out), nil
	case "remeasure":
		it, err := a.Remeasure(ctx, m.ID, m.Options, m.Patient, jsbytes.From(msg.Get("mask")), m.Save)
		return reply{body: map[string]any{"item": it}}, err
	case "render":
		b, err := a.Render(m.ID, m.Kind, jsbytes.From(msg.Get("mask")))
		return reply{bufs: map[string][]byte{"file": b}}, err
	case "csv":
		b, err := app.CSV(m.Records)
		return reply{bufs: map[string][]byte{"file": b}}, err
	case "zip":
		b, sum, err := a.Zip(m.Zip)
		var need *session.NeedGroups
		if errors.As(err, &need) { // a question for the page, not a failure
			return reply{body: map[string]any{"needGroups": need.Patients}}, nil
		}
		return reply{body: sum, bufs: map[string][]byte{"file": b}}, err
	case "calib-table":
		t, err := app.CalibrationTable(jsbytes.From(msg.Get("bytes")), m.Names)
		return reply{body: map[string]any{"cmPerPx": t}}, err
	case "patient-table":
		ps, probs, err := app.PatientTable(m.Name, jsbytes.From(msg.Get("bytes")), m.SexOne)
		return reply{body: map[string]any{"patients": ps, "problems": probs}}, err
	case "report":
		b, err := a.Report(m.PatientID, m.Heckmatt)
		return reply{bufs: map[string][]byte{"file": b}}, err
	case "sr":
		b, sum, err := a.SR(m.PatientID, m.ExamDate, m.Reading, time.Now())
		return reply{body: sum, bufs: map[string][]byte{"file": b}}, err
	case "delete-patient":
		removed, err := a.DeletePatient(m.PatientID)
		return reply{body: map[string]any{"removed": removed}}, err
	case "patients":
		return reply{body: map[string]bool{"ok": true}}, a.SavePatients(m.Patients)
	case "readings":
		return reply{body: map[string]any{"readings": app.Readings(m.Scores)}}, nil
	case "remove":
		return reply{body: map[string]bool{"ok": true}}, a.Remove(m.ID)
	case "clear":
		return reply{body: map[string]bool{"ok": true}}, a.Clear()
	case "edit-prepare":
		return reply{body: map[string]bool{"ok": true}}, w.edit.Prepare(m.ID, jsbytes.From(msg.Get("bytes")), m.Width, m.Height)
	case "wire":
		p, err := w.edit.Wire(m.ID, m.From, m.To)
		return reply{body: map[string]any{"path": p}}, err
	case "outline":
		b, err := w.edit.Outline(m.ID, m.Clicks, m.Straight, m.Snap, m.Width, m.Height)
		return reply{bufs: map[string][]byte{"mask": b}}, err
	case "handles":
		hs, err := edit.Handles(jsbytes.From(msg.Get("mask")), m.Width, m.Height)
		return reply{body: map[string]any{"handles": hs}}, err
	case "from-handles":
		b, err := edit.FromHandles(m.Handles, m.Width, m.Height)
		return reply{bufs: map[string][]byte{"mask": b}}, err
	case "insert-handle":
		hs, i, err := contour.Insert(m.Handles, m.At)
		return reply{body: map[string]any{"handles": hs, "index": i}}, err
	case "delete-handle":
		hs, err := contour.Delete(m.Handles, m.Index)
		return reply{body: map[string]any{"handles": hs}}, err
	case "nudge":
		hs, err := contour.Nudge(m.Handles, m.At, m.Radius)
		return reply{body: map[string]any{"handles": hs}}, err
	case "tidy":
		b, err := edit.Tidy(jsbytes.From(msg.Get("mask")), m.Width, m.Height, m.Fill, image.Pt(int(m.At.X), int(m.At.Y)))
		return reply{bufs: map[string][]byte{"mask": b}}, err
	}
	return reply{}, fmt.Errorf("unknown message type %q", typ)
}

// named is one choice the page offers: the value it sends and what it shows.
type named struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Code  string `json:"code,omitempty"` // muscles: the folder name a dropped folder may carry
}

// constants is what the page needs to know from the core before it takes
// files: the muscles with normal values (its dropdowns, and the codes it
// reads from folder names), the calibration sources' labels, and the size
// limits (the page refuses a larger file before reading it into memory).
func constants() map[string]any {
	var muscles, sources []named
	for _, m := range zscore.Muscles() {
		muscles = append(muscles, named{Key: string(m), Label: m.Label(), Code: m.Code()})
	}
	for _, s := range calib.Sources() {
		sources = append(sources, named{Key: string(s), Label: s.Label()})
	}
	return map[string]any{
		"muscles":     muscles,
		"calibration": sources,
		"limits":      map[string]int64{"maxFileBytes": app.MaxFileBytes, "maxPixels": app.MaxPixels},
	}
}

func outputReply(out *app.Output) reply {
	body := map[string]any{"item": out.Item}
	r := reply{body: body, bufs: map[string][]byte{}}
	if out.Gray != nil {
		body["width"], body["height"] = out.Gray.Rect.Dx(), out.Gray.Rect.Dy()
		t := out.Timing
		body["timingMs"] = map[string]float64{
			"decode": ms(t.Decode.Seconds()), "prepare": ms(t.Prepare.Seconds()), "infer": ms(t.Infer.Seconds()),
			"post": ms(t.Post.Seconds()), "measure": ms(t.Measure.Seconds()),
		}
		for k, g := range map[string]*image.Gray{"gray": out.Gray, "mask": out.Mask, "modelMask": out.ModelMask} {
			r.bufs[k] = app.Packed(g)
		}
	}
	return r
}

func ms(s float64) float64 { return float64(int64(s*1e4)) / 10 }

// await blocks the calling goroutine (never the callback's) until p settles.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- result{v: a[0]}; return nil })
	catch := js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{err: errors.New(a[0].Call("toString").String())}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	r := <-ch
	return r.v, r.err
}

func fetchBytes(url string) ([]byte, error) {
	resp, err := await(js.Global().Call("fetch", url))
	if err != nil {
		return nil, err
	}
	if !resp.Get("ok").Bool() {
		return nil, fmt.Errorf("GET %s: HTTP %d", url, resp.Get("status").Int())
	}
	buf, err := await(resp.Call("arrayBuffer"))
	if err != nil {
		return nil, err
	}
	return jsbytes.From(buf), nil
}
