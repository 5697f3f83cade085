// Package img holds the project's image type — RGB float32 in [0,1], stored
// height × width × channel — with PNG/JPEG reading and writing, resizing, and
// helpers that lay images out in grids.
package img
