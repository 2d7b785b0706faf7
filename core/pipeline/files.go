package pipeline

import (
	"encoding/json"
	"fmt"

	"myoseg/core/imaging/render"
)

// Outputs names one image's output files, slash-separated; an empty name
// is not written.
type Outputs struct {
	Mask    string // the mask PNG (0/255)
	Overlay string // the outline drawn on the image, PNG
	Record  string // the record, indented JSON
}

// OutputsFor names the outputs of the image with the given stem:
// STEM.mask.png, STEM.overlay.png, STEM.json, in dir ("" = no folder); with
// sorted set, each kind goes in its own folder under dir (masks/,
// overlays/, records/), as batch writes them.
func OutputsFor(dir, stem string, sorted bool) Outputs {
	join := func(sub, name string) string {
		if sorted {
			name = sub + "/" + name
		}
		if dir != "" {
			name = dir + "/" + name
		}
		return name
	}
	return Outputs{
		Mask:    join("masks", stem+".mask.png"),
		Overlay: join("overlays", stem+".overlay.png"),
		Record:  join("records", stem+".json"),
	}
}

// List is the names that are set, in the order Files writes them.
func (o Outputs) List() []string {
	var out []string
	for _, n := range []string{o.Mask, o.Overlay, o.Record} {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// File is one output file.
type File struct {
	Name string
	Data []byte
}

// Files renders res's output files named in o, the record last (batch
// takes its presence to mean the image is done). record is the JSON value
// of the record file: res.Record, or a wrapper around it (batch adds the
// hashes it resumes by). Everything is rendered before anything is
// returned, so a caller writes all the files or none.
func (res *Result) Files(o Outputs, record any) ([]File, error) {
	var out []File
	if o.Mask != "" {
		b, err := render.MaskPNG(res.Mask)
		if err != nil {
			return nil, fmt.Errorf("%s: mask PNG: %w", res.Request.Name, err)
		}
		out = append(out, File{o.Mask, b})
	}
	if o.Overlay != "" {
		b, err := render.OverlayPNG(res.Image.Gray, res.Mask, res.Field)
		if err != nil {
			return nil, fmt.Errorf("%s: overlay PNG: %w", res.Request.Name, err)
		}
		out = append(out, File{o.Overlay, b})
	}
	if o.Record != "" {
		b, err := json.MarshalIndent(record, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("%s: record: %w", res.Request.Name, err)
		}
		out = append(out, File{o.Record, append(b, '\n')})
	}
	return out, nil
}
