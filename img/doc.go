// Package img holds the project's image type — RGB float32 in [0,1], stored
// height × width × channel — with PNG/JPEG reading and writing, resizing, and
// helpers that lay images out in grids.
//
// Reading: LoadFile and DecodeBytes accept PNG and JPEG (recognised by their
// content) in any colour model, reject images wider or taller than MaxSide
// from the header alone, and return errors that name the file
// ("img: load foo.png: …"), never a panic. Writing: EncodePNG and SavePNG
// (atomic: temporary file, then rename) quantise to 8 bits,
// round(255·clamp(v, 0, 1)). ToRGBA and FromImage convert to and from the
// standard library's image types.
//
// Geometry: Resize (Catmull-Rom, antialiased when shrinking), Nearest
// (integer pixel repetition), CenterCrop (largest centred square). Display:
// Grid lays images out in rows and columns with padding; HalfBlocks renders
// an image for a 24-bit-colour terminal, two pixel rows per text line.
package img
