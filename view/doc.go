// Package view turns values into display bundles: the one display model of
// the interactive layer, used by the session for cell results and importable
// in cells and by other packages (it depends only on display, core and img).
//
//   - Render: a value → display.Bundle. Displayers render themselves;
//     *core.Tensor gives shape, statistics and a preview (plus an HTML table
//     when it is a small matrix); *img.Image gives a PNG enlarged by pixel
//     repetition so that 32-pixel images are visible; tables give HTML,
//     Markdown and text; errors and plain values give text.
//   - Table: a titled grid of strings with headers.
//   - Heatmap: a matrix as a PNG (attention masks and weights), with optional
//     segment boundary lines.
//   - LinePlot: one or more curves (a loss curve) as a PNG with axes and ticks.
//   - LiveDisplay: a display that later calls replace in place (progress
//     lines, live loss plots).
package view
