// Package contour holds the geometry behind correcting a mask by hand: a
// closed outline through clicked points becomes a mask (a centripetal
// Catmull-Rom spline filled at pixel centres), a livewire snaps the stretch
// between two clicks to the bright fascia of the image, and a mask becomes a
// smooth contour with a few handles that can be dragged, inserted, deleted
// or pushed with a round nudge.
//
// Everything is a pure function of its inputs (points, masks, a cost image)
// that returns new values, so an editor can keep every state for undo and
// redo. Coordinates are continuous pixel coordinates: pixel (i, j) covers
// [i, i+1)×[j, j+1) and its centre is (i+0.5, j+0.5); a mask holds the pixels
// whose centres lie inside the outline.
package contour
