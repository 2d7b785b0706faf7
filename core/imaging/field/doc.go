// Package field finds the ultrasound image field (the B-mode rectangle, sector
// or panoramic band) inside a screen capture, so that burned-in text, depth
// scales, grey bars and logos never reach the segmentation mask or the echo
// intensity.
//
// # Method
//
// Speckle is the signature of B-mode: almost every pixel differs from its
// neighbours, both across and along the rows, and almost none has the flat
// background grey. Scanner graphics are the opposite: flat fields (black
// surroundings, grey title bars) with thin strokes (text, ticks, lines) or
// smooth ramps (grey/colour bars, shaded logos).
//
//  1. Background. If one exact grey level (the mode) covers at least a fifth of
//     the image border, it is the flat background of a screen capture; its
//     tolerance is the smallest t (at most 4) at which widening the band
//     mode±t by one more level gathers under 1 % of the border (0 for a clean
//     capture, more where compression noise sits on the background). Otherwise
//     (full-frame B-mode) there is no background and every pixel counts as
//     content.
//  2. Blocks. The image is cut into 8×8 blocks. A block is speckle when at least
//     90 % of its pixels are content (not background), at least 60 % differ from
//     their right or lower neighbour, and at least 15 % differ from both. Text on
//     black fails the first test (strokes cover a fraction of a block), flat bars
//     and text on a grey bar fail the second, vertical or horizontal ramps (grey
//     bars) fail the third. These thresholds come from the real GE and Siemens
//     captures in shared/data/real, where they separate field blocks from UI
//     blocks with a wide margin.
//  3. Component. The speckle-block map is closed with a 3×3 element (bridging
//     one-block gaps such as a saturated reflector), its 8-connected components
//     are labelled and the one holding the most speckle blocks is the field;
//     its holes (anechoic areas, dark vessels) are filled. The stray speckle
//     blocks that dense text or a logo produce stay in their own small
//     components and are dropped.
//     Then the component grows, block by 4-connected block, into faint
//     tissue: blocks that are not speckle but where at least 15 % of the
//     pixels are content, their mean distance from the background grey is at
//     most 40 levels and at least half of them differ from both neighbours.
//     That is deep tissue imaged with too little gain (most pixels at black,
//     scattered faint echoes and noise above it); text and scale strokes are
//     far brighter and lines differ from one neighbour only, and a flat
//     background holds no content at all, so the growth stops at the field's
//     edge. Without it, a muscle lying deep in such a field was cut off (in
//     a darker scanner's phantoms, one muscle entirely; TestDetectFaintDepth).
//  4. Edges to the pixel. The component's interior (the component eroded by one
//     block) is field for certain. From it a flood fill grows, 4-connected,
//     through the ring of blocks around the component's edge (at most two blocks
//     outside it, enough for the faint streaks where a panoramic band fades
//     out; none without a background, where the gate below could not stop),
//     over content pixels whose 3×3 neighbourhood holds at least 7
//     content pixels. That gate stops at any background gap, so depth-scale
//     ticks and text a few pixels from the field are not reached, and it does not
//     creep along one-pixel lines that touch the field. The gate shaves the
//     outermost row off every edge, so content pixels next to the grown region
//     are added back, without growing from them.
//
// Detect returns the bounding rectangle of the result. For a sector or a curved
// panoramic band that rectangle also holds background corners; DetectMask gives
// the per-pixel field (holes filled) for callers that need to keep those
// corners out.
//
// # When nothing is found
//
// If no speckle component of at least 1 % of the image (and 12 blocks) exists,
// or the image is smaller than 16×16, Detect returns g.Bounds() and Find
// reports Found == false: an image the package cannot read is measured whole
// rather than not at all. Detect never returns an empty rectangle for a
// non-empty image.
//
// # Limits
//
// Parts of the field that are smooth and dark (no noise floor, almost no
// pixel differing from its neighbours: a strongly smoothed, unamplified
// depth such as phantom style "c") are neither speckle nor faint tissue and
// stay outside; so do parts entirely at the background grey. The rectangle
// is usually set by brighter parts of the same edge. A capture without a
// flat background whose field does not fill the frame gets a rectangle up
// to one block (8 px) too large per side, as the ring then has no
// background to stop at. Two B-mode views side by side give
// the larger one. In a JPEG-compressed capture the ringing beside the field's
// edge is content, so edges may move outward by up to one JPEG block (8 px).
// Text burned in inside the field itself (calipers, annotations) is inside
// the field and stays there.
//
// # Cost
//
// One pass over the pixels for the block statistics, then work on the block
// grid and on the ring only: about 5–10 ms for a 1456×819 capture natively
// (BenchmarkDetect, BenchmarkDetectReal), a few times that under WebAssembly.
package field
