//go:build js && wasm

// Command trainer is the browser's model adapter: core/nn/train compiled to
// its own WebAssembly module (dist/myoseg-train.wasm), loaded by
// web/adapt-worker.js only when someone adapts a model, so the main app's
// download does not carry it.
//
// Protocol (page → worker): {type: "adapt", json, model, zip} with json the
// options ({"name", "epochs", "trainLast", "seed"}), model the parent ONNX
// and zip the corrected images in the seed layout (the page's "corrected
// images" ZIP); {type: "cancel"}. Replies: {type: "progress", json} after
// each epoch, {type: "adapt", json, model} at the end, or {type: "error",
// json: {"error", "reason"}} with reason too-few, one-patient, no-gain,
// cancelled or "" (anything else).
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"syscall/js"

	"myoseg/core/nn/onnxmodel"
	"myoseg/core/nn/train"
	"myoseg/wasm/jsbytes"
)

type options struct {
	Name      string `json:"name"`
	Epochs    int    `json:"epochs"`
	TrainLast int    `json:"trainLast"`
	Seed      uint64 `json:"seed"`
}

var (
	mu     sync.Mutex
	cancel context.CancelFunc
)

func main() {
	js.Global().Set("myosegHandle", js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := args[0]
		switch msg.Get("type").String() {
		case "cancel":
			mu.Lock()
			if cancel != nil {
				cancel()
			}
			mu.Unlock()
		case "adapt":
			go adapt(msg)
		}
		return nil
	}))
	js.Global().Call("myosegReady")
	select {}
}

func post(typ string, body any, model []byte) {
	b, err := json.Marshal(body)
	if err != nil {
		typ, b = "error", []byte(`{"error":"internal: reply not encodable"}`)
	}
	obj := map[string]any{"type": typ, "json": string(b)}
	var transfer []any
	if model != nil {
		arr := jsbytes.To(model)
		obj["model"] = arr
		transfer = append(transfer, arr.Get("buffer"))
	}
	js.Global().Call("myosegPost", obj, transfer)
}

func adapt(msg js.Value) {
	defer func() {
		if p := recover(); p != nil {
			post("error", map[string]string{"error": fmt.Sprintf("internal error (please report): %v\n%s", p, debug.Stack()), "reason": ""}, nil)
		}
	}()
	ctx, c := context.WithCancel(context.Background())
	mu.Lock()
	if cancel != nil {
		mu.Unlock()
		c()
		post("error", map[string]string{"error": "an adaptation is already running", "reason": ""}, nil)
		return
	}
	cancel = c
	mu.Unlock()
	defer func() {
		mu.Lock()
		cancel = nil
		mu.Unlock()
		c()
	}()
	res, card, err := run(ctx, msg)
	if err != nil {
		reason := ""
		switch {
		case errors.Is(err, train.ErrTooFew):
			reason = "too-few"
		case errors.Is(err, train.ErrOnePatient):
			reason = "one-patient"
		case errors.Is(err, train.ErrNoGain):
			reason = "no-gain"
		case errors.Is(err, context.Canceled):
			reason = "cancelled"
		}
		post("error", map[string]string{"error": err.Error(), "reason": reason}, nil)
		return
	}
	post("adapt", map[string]any{
		"name": res.Name, "parent": res.Parent, "date": res.Date.Format("2006-01-02"),
		"before": res.Before, "after": res.After, "bestEpoch": res.BestEpoch, "epochs": res.Epochs,
		"trainImages": res.TrainImages, "heldOut": res.HeldOut,
		"trainPatients": res.TrainPatients, "heldOutPatients": res.HeldOutPatients,
		"seconds": res.Elapsed.Seconds(), "settings": res.Settings, "card": card,
		"minImages": train.MinImages,
	}, res.Model)
}

func run(ctx context.Context, msg js.Value) (*train.Result, string, error) {
	var o options
	if s := msg.Get("json"); s.Type() == js.TypeString {
		if err := json.Unmarshal([]byte(s.String()), &o); err != nil {
			return nil, "", fmt.Errorf("bad message: %w", err)
		}
	}
	parent := jsbytes.From(msg.Get("model"))
	m, err := onnxmodel.Parse("current model", parent)
	if err != nil {
		return nil, "", err
	}
	zb := jsbytes.From(msg.Get("zip"))
	z, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		return nil, "", fmt.Errorf("corrected images: not a ZIP: %w", err)
	}
	pairs, err := train.ReadSet(z, m.Info)
	if err != nil {
		return nil, "", fmt.Errorf("corrected images: %w", err)
	}
	res, err := train.Adapt(ctx, parent, pairs, train.Options{
		Name: o.Name, Epochs: o.Epochs, TrainLast: o.TrainLast, Seed: o.Seed,
		Progress: func(p train.Progress) {
			post("progress", map[string]any{"epoch": p.Epoch, "epochs": p.Epochs, "elapsedS": p.Elapsed.Seconds(),
				"leftS": p.Left.Seconds(), "loss": p.Loss, "heldOutDice": p.HeldOutDice, "best": p.Best}, nil)
		}})
	if err != nil {
		return nil, "", err
	}
	return res, train.Card(res, m.Info), nil
}
