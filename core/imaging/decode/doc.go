// Package decode turns the bytes of one image file (PNG, JPEG, BMP, TIFF or
// DICOM) into the 8-bit grey plane that echo intensity is measured on, plus
// the DICOM facts calibration needs. It reads bytes and returns values: no
// files, no network, so it builds for GOOS=js GOARCH=wasm as for the CLI.
//
// # Format detection
//
// By the leading bytes, never by the file name: PNG signature, JPEG SOI
// (FF D8 FF), "BM", "II*\0" / "MM\0*", and DICOM as "DICM" at offset 128
// (the standard preamble). A DICOM file without the preamble is accepted
// when it starts with "DICM", or when it is clearly a bare DICOM dataset:
// its first two elements are well formed, in group 0002 or 0008, in
// ascending tag order (one coincidental pair of bytes is not enough).
// GIF, WebP, BigTIFF, JPEG 2000, PDF and ZIP are named in the refusal.
//
// # Grey values
//
// As docs/architecture.md fixes them, with no window/level, no gamma and no
// stretching, so that EI compares across files:
//
//   - 8-bit grey: the stored value.
//   - Colour (RGB, and YCbCr after conversion to RGB): ITU-R BT.601 luma
//     0.299 R + 0.587 G + 0.114 B, rounded half up, computed exactly in
//     integers (RGB(255,0,0) → 76). YCbCr (colour JPEG, DICOM YBR_FULL and
//     YBR_FULL_422) is converted to RGB first with the standard library's
//     JFIF conversion, i.e. to the colours a viewer shows, then to luma; so
//     the same picture stored as JPEG or as RGB gets the same grey.
//   - Palette: the luma of the palette entry (an index past the palette is 0).
//   - 16-bit samples (PNG, TIFF, DICOM MONOCHROME2 with Bits Allocated 16):
//     the high byte, v >> 8, nothing else applied — no Bits Stored
//     shift, no Rescale Slope/Intercept, no VOI LUT. A 12-bit image stored in
//     16 bits therefore comes out dark (0–15); that is deliberate: the
//     mapping must not depend on metadata that scanners fill in unevenly.
//   - Alpha is ignored: the grey is that of the stored colour channels
//     (for premultiplied types, the colour over black).
//
// The returned plane always has bounds starting at (0,0). A multi-page TIFF
// yields its first page (Frames = 1).
//
// # What is refused, and how
//
// Every error is an *Error reading "decode: <name>: <reason>[: <cause>]";
// errors.Is tells the kind (ErrNotImage, ErrTooLarge, ErrUnsupported,
// ErrCorrupt, ErrFrame) and reaches the third-party decoder's own error.
// Refused:
//
//   - empty input, and anything not recognised as one of the five formats;
//   - images whose header claims width×height above Options.MaxPixels
//     (DefaultMaxPixels, 2^28, when zero) or an empty size — decided from
//     the header alone (our PNG chunk reader, jpeg/bmp/tiff DecodeConfig,
//     the DICOM Rows and Columns), before any pixel buffer exists;
//   - images whose decoding would hold more than Options.MaxBytes (when
//     set), also from the header: width×height × the bytes per pixel this
//     file's decoder holds at its peak, grey plane included — PNG, native
//     and RLE DICOM 1 (written straight to the grey plane); JPEG 1 grey, 4
//     colour (YCbCr up to 4:4:4), 5 CMYK, plus 4 per component when
//     progressive (the coefficients); BMP 2 up to 8 bits per pixel, else 5;
//     TIFF the decoder's image (1 grey, 2 16-bit grey, 4 RGBA, 8 16-bit
//     RGBA) + one strip's raw samples (twice when compressed, at worst one
//     strip) + 1 for the grey plane unless 8-bit grey. The refusal names
//     the figures;
//   - files too short for what their header claims, where a sound bound
//     exists: PNG (deflate expands at most 1032:1), JPEG (at least one bit
//     per 8×8 block), TIFF by compression (none, PackBits, LZW, Deflate),
//     uncompressed BMP, DICOM native pixel data (exact length); refused
//     before the decoder allocates the full image, so a 100-byte file
//     cannot make it allocate gigabytes below the pixel limit;
//   - truncated or corrupt data (the decoders' errors, wrapped);
//   - DICOM without Pixel Data; with a transfer syntax other than Implicit
//     VR Little Endian, Explicit VR Little Endian, JPEG Baseline
//     1.2.840.10008.1.2.4.50 or RLE Lossless 1.2.840.10008.1.2.5
//     (1.2.840.10008.1.2.4.51 is also read, for its 8-bit process 2; the
//     error names the UID and its registered name, e.g. JPEG 2000, JPEG-LS,
//     big endian, deflated); with a photometric
//     interpretation other than MONOCHROME2, RGB, YBR_FULL, YBR_FULL_422
//     (MONOCHROME1 and PALETTE COLOR are refused, not guessed); with Bits
//     Allocated other than 8 (16 is read for native and RLE MONOCHROME2);
//     with signed pixel data; with fewer pixel bytes than Rows × Columns ×
//     samples × frames need; a JPEG frame whose size differs from
//     Rows/Columns;
//   - Options.Frame outside the file's frames (still images hold frame 0
//     only), naming the frame count.
//
// Decode never panics: each third-party decoder runs under a recover that
// turns a panic into an ErrCorrupt naming the file and the decoder, and
// Decode itself has a last recover for its own bugs.
//
// # PNG
//
// PNG is read by this package's own row decoder, not image/png, which
// returns a full-colour buffer (8 bytes per pixel for 16-bit RGBA) before
// the grey conversion: rows are unfiltered one at a time into the grey
// plane. It accepts what image/png accepts and gives the grey plane of
// image/png's result under the rules above (FuzzPNGMatchesStdlib); errors
// wrap png.FormatError or png.UnsupportedError and say which chunk and
// byte. A TIFF cut inside its header or first IFD is likewise named with
// the offsets, before x/image/tiff (which says only "EOF") reads it.
//
// # DICOM
//
// The first frame is decoded unless Options.Frame says otherwise; Image.Frames
// is Number of Frames (1 when absent). Multi-frame JPEG pixel data is split
// into frames by the Basic Offset Table when it is valid, else one fragment
// per frame when the counts match, else at fragments that begin a JPEG
// stream (FF D8); for a single frame all fragments are joined. For
// encapsulated frames, the JPEG stream's own markers decide YCbCr or RGB
// (as image/jpeg reads them); the DICOM photometric must still be one of
// the supported four.
//
// DICOMInfo carries the Sequence of Ultrasound Regions (0018,6011) in file
// order, Pixel Spacing (0028,0030), Manufacturer, Manufacturer's Model Name,
// the transfer syntax, photometric interpretation and bits allocated. Only
// top-level attributes count (an icon image inside a sequence never becomes
// the image). A malformed optional Pixel Spacing is ignored, left zero and
// listed in DICOMInfo.Warnings; calibration is never guessed.
//
// The DICOM reader is this package's own and walks the caller's bytes in
// place. github.com/suyashkumar/dicom v1.0.7 (whose UID dictionary names
// refused transfer syntaxes here, and whose writer builds the test files)
// is not used to parse, because its parser allocates every value at the
// length the file claims before reading it (make([]byte, vl) with vl up to
// 4 GiB, fatal out-of-memory under WebAssembly, where recover cannot help)
// and stores native pixels as [][]int, 32 bytes per grey pixel and 48 per RGB
// pixel (a 60-frame 800×600 RGB cine loop would take about 1.4 GB). Here every length is checked
// against the bytes left, nothing is allocated in proportion to a claimed
// length, nesting is capped at 32 sequences, and the grey plane is the only
// large allocation, made after all checks.
package decode
