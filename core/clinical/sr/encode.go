package sr

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
)

// A minimal DICOM writer: Explicit VR Little Endian, defined lengths
// everywhere (sequences and items included), elements sorted by tag. It
// writes only what this package builds, so it knows no dictionary: each
// element carries its VR.

const tsExplicitLE = "1.2.840.10008.1.2.1"

// element is one data element; for SQ, items holds the item datasets.
type element struct {
	tag   uint32
	vr    string
	value []byte
	items []dataset
}

type dataset []element

// longVR are the VRs with a 4-byte length after two reserved bytes.
var longVR = map[string]bool{"OB": true, "OW": true, "SQ": true, "UT": true, "UN": true, "UC": true, "UR": true}

// add and seq are not inlined: Write calls them some 40 times, and inlined
// they were most of its 49 kB of wasm code.
//
//go:noinline
func (d *dataset) add(tag uint32, vr, v string) {
	pad := byte(' ')
	if vr == "UI" {
		pad = 0
	}
	b := []byte(v)
	if len(b)%2 == 1 {
		b = append(b, pad)
	}
	*d = append(*d, element{tag: tag, vr: vr, value: b})
}

//go:noinline
func (d *dataset) seq(tag uint32, items ...dataset) {
	*d = append(*d, element{tag: tag, vr: "SQ", items: items})
}

// ascii reports whether every value in d (items included) is 7-bit.
func (d dataset) ascii() bool {
	for _, e := range d {
		for _, c := range e.value {
			if c >= 0x80 {
				return false
			}
		}
		for _, it := range e.items {
			if !it.ascii() {
				return false
			}
		}
	}
	return true
}

// encode writes d, sorted by tag as PS3.5 7.1 requires.
func (d dataset) encode() ([]byte, error) {
	sort.SliceStable(d, func(i, j int) bool { return d[i].tag < d[j].tag })
	var out []byte
	for i, e := range d {
		if i > 0 && d[i-1].tag == e.tag {
			return nil, fmt.Errorf("sr: element (%04X,%04X) twice", e.tag>>16, e.tag&0xFFFF)
		}
		v := e.value
		if e.vr == "SQ" {
			v = nil
			for _, it := range e.items {
				b, err := it.encode()
				if err != nil {
					return nil, err
				}
				v = binary.LittleEndian.AppendUint16(v, 0xFFFE)
				v = binary.LittleEndian.AppendUint16(v, 0xE000)
				v = binary.LittleEndian.AppendUint32(v, uint32(len(b)))
				v = append(v, b...)
			}
		}
		out = binary.LittleEndian.AppendUint16(out, uint16(e.tag>>16))
		out = binary.LittleEndian.AppendUint16(out, uint16(e.tag))
		out = append(out, e.vr...)
		if longVR[e.vr] {
			out = append(out, 0, 0)
			out = binary.LittleEndian.AppendUint32(out, uint32(len(v)))
		} else {
			if len(v) > 0xFFFF {
				return nil, fmt.Errorf("sr: value of (%04X,%04X) is %d bytes, over a short VR's limit", e.tag>>16, e.tag&0xFFFF, len(v))
			}
			out = binary.LittleEndian.AppendUint16(out, uint16(len(v)))
		}
		out = append(out, v...)
	}
	return out, nil
}

// file wraps a dataset in the Part 10 preamble and file meta information.
func file(sopClass, sopInstance string, d dataset) ([]byte, error) {
	var meta dataset
	meta = append(meta, element{tag: 0x00020001, vr: "OB", value: []byte{0, 1}})
	meta.add(0x00020002, "UI", sopClass)
	meta.add(0x00020003, "UI", sopInstance)
	meta.add(0x00020010, "UI", tsExplicitLE)
	meta.add(0x00020012, "UI", implementationUID)
	meta.add(0x00020013, "SH", implementationName)
	mb, err := meta.encode()
	if err != nil {
		return nil, err
	}
	body, err := d.encode()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 128, 128+4+12+len(mb)+len(body))
	out = append(out, "DICM"...)
	out = append(out, 0x02, 0x00, 0x00, 0x00, 'U', 'L', 4, 0)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(mb)))
	out = append(out, mb...)
	return append(out, body...), nil
}

// Value checks: what the writer refuses rather than file an invalid object.

func checkUID(what, u string) error {
	if u == "" || len(u) > 64 {
		return fmt.Errorf("sr: %s %q: a UID is 1–64 characters", what, u)
	}
	for i, part := range strings.Split(u, ".") {
		if part == "" || (len(part) > 1 && part[0] == '0') || strings.Trim(part, "0123456789") != "" {
			return fmt.Errorf("sr: %s %q: component %d is not a number without leading zeros", what, u, i+1)
		}
	}
	return nil
}

// clip shortens s to n bytes at a rune boundary, for VRs with a maximum.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
