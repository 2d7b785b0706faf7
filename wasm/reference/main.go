//go:build js && wasm

// Command reference is the page's "Check with the reference engine": the
// design's reference engine (onnx-go + gorgonia) beside our executor,
// compiled to its own WebAssembly module (dist/myoseg-reference.wasm, scalar
// only) that the page fetches the first time someone asks for the check, so
// nobody else downloads gorgonia. web/reference-worker.js runs it; the
// logic is package check, tested natively.
//
// It opens the page's IndexedDB session (the one the core's workers write,
// wasm/session) to read the selected image's file and the stored model.
//
// Protocol (page → worker): {type: "check", json, model?, pageMask?} with
// json a check.Request, model the ONNX bytes when the page has them (else
// the stored model is used) and pageMask the page's own mask of the image.
// Replies: {type: "progress", json: {stage}} ("ours", "reference"), then
// {type: "check", json: check.Report} or {type: "error", json: {error,
// reason}}, reason "no-model" when the model is neither stored nor sent.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"syscall/js"

	"github.com/hack-pad/hackpadfs/indexeddb"

	"myoseg/wasm/jsbytes"
	"myoseg/wasm/reference/check"
	"myoseg/wasm/session"
)

var (
	checker check.Checker
	// The store opens on the first check: IndexedDB answers only after the
	// message callback has returned, so it is opened on a goroutine.
	openStore = sync.OnceValues(func() (*session.Store, error) {
		fsys, err := indexeddb.NewFS(context.Background(), "myoseg", indexeddb.Options{})
		if err != nil {
			return nil, err
		}
		return session.New(fsys)
	})
)

func main() {
	js.Global().Set("myosegHandle", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if msg := args[0]; msg.Get("type").String() == "check" {
			go run(msg)
		}
		return nil
	}))
	js.Global().Call("myosegReady")
	select {}
}

func post(typ string, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		typ, b = "error", []byte(`{"error":"reference check: reply not encodable","reason":""}`)
	}
	js.Global().Call("myosegPost", map[string]any{"type": typ, "json": string(b)})
}

func run(msg js.Value) {
	defer func() {
		if p := recover(); p != nil {
			post("error", map[string]string{"error": fmt.Sprintf("reference check: internal error (please report): %v\n%s", p, debug.Stack()), "reason": ""})
		}
	}()
	var req check.Request
	if s := msg.Get("json"); s.Type() == js.TypeString {
		if err := json.Unmarshal([]byte(s.String()), &req); err != nil {
			post("error", map[string]string{"error": "reference check: bad message: " + err.Error(), "reason": ""})
			return
		}
	}
	req.Model = jsbytes.From(msg.Get("model"))
	req.PageMask = jsbytes.From(msg.Get("pageMask"))
	var st check.Store // nil when IndexedDB cannot be opened: Run says so
	s, serr := openStore()
	if serr == nil {
		st = s
	}
	rep, err := checker.Run(context.Background(), st, req, func(stage string) {
		post("progress", map[string]string{"stage": stage})
	})
	if err != nil {
		reason := ""
		if errors.Is(err, check.ErrNoModel) {
			reason = "no-model"
		}
		if serr != nil {
			err = fmt.Errorf("%w (IndexedDB: %v)", err, serr)
		}
		post("error", map[string]string{"error": err.Error(), "reason": reason})
		return
	}
	post("check", rep)
}
