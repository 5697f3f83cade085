// Package chart draws the project's plots with gonum.org/v1/plot as PNG
// images: line plots (loss curves, sweeps) with labelled axes, ticks, a grid
// and a legend, and heat maps (attention masks and weights) with a colour
// bar and the segment boundaries of a sequence marked on both axes.
//
// The view package shows them in notebooks and terminals; chart only
// draws. Sizes are in pixels at 96 dots per inch.
package chart
