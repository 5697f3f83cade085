package ops

// swigluRow sets y = a·sigmoid(a)·b over a row (the gate a and value b halves
// of the fused up-projection, read in place).
func swigluRow(a, b, y []float32) {
	if attnAVX512 && len(a) >= 16 {
		swigluRowAVX512(a, b[:len(a)], y[:len(a)])
		return
	}
	swigluRowGo(a, b, y)
}

// swigluBackRow sets (or with accumulate adds to) ga and gb the gradient
// through y = silu(a)·b: ga = g·b·s·(1 + a·(1−s)), gb = g·a·s, s = sigmoid(a).
func swigluBackRow(a, b, g, ga, gb []float32, accumulate bool) {
	if attnAVX512 && len(a) >= 16 {
		n := len(a)
		swigluBackRowAVX512(a, b[:n], g[:n], ga[:n], gb[:n], accumulate)
		return
	}
	swigluBackRowGo(a, b, g, ga, gb, accumulate)
}

// swigluRowGo is the portable reference of swigluRowAVX512.
func swigluRowGo(a, b, y []float32) {
	b, y = b[:len(a)], y[:len(a)]
	for i, av := range a {
		y[i] = av * sigmoid(av) * b[i]
	}
}

// swigluBackRowGo is the portable reference of swigluBackRowAVX512.
func swigluBackRowGo(a, b, g, ga, gb []float32, accumulate bool) {
	b, g, ga, gb = b[:len(a)], g[:len(a)], ga[:len(a)], gb[:len(a)]
	for i, av := range a {
		s := sigmoid(av)
		da, db := g[i]*b[i]*s*(1+av*(1-s)), g[i]*av*s
		if accumulate {
			ga[i] += da
			gb[i] += db
		} else {
			ga[i], gb[i] = da, db
		}
	}
}
