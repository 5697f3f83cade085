package ops

import (
	"fmt"

	"xprompt/core"
)

// VectorQuantize replaces each row of z (N, D) by its nearest row of the
// codebook (K, D) in squared Euclidean distance (the backend's NearestCodes)
// and returns:
//
//   - zq (N, D): the chosen codes, q = codebook[ids], as the forward value of
//     the straight-through estimator zq = z + sg(q − z): the gradient of zq
//     passes to z unchanged (the identity) and none reaches the codebook;
//   - ids (N): the chosen code of each row;
//   - loss (scalar): the codebook and commitment terms,
//     mean((sg(z) − q)²) + beta · mean((z − sg(q))²), means over all N·D
//     values, whose gradient reaches the codebook through the first term and z
//     through the second; sg is the stop-gradient.
//
// A codebook that does not require a gradient (updated by moving averages
// instead) simply receives none.
func VectorQuantize(z, codebook *core.Tensor, beta float32) (zq *core.Tensor, ids []int32, loss *core.Tensor) {
	if z.Rank() != 2 || codebook.Rank() != 2 || z.Dim(1) != codebook.Dim(1) || codebook.Dim(0) < 1 {
		panic(fmt.Sprintf("ops.VectorQuantize: z %v (want N,D), codebook %v (want K,D)", z.Dims(), codebook.Dims()))
	}
	be := backendOf(z, codebook)
	n := z.Dim(0)
	ids = make([]int32, n)
	be.NearestCodes(z.Detach(), codebook.Detach(), ids, make([]float32, n))
	q := Gather(codebook, ids)
	zq = q.Detach().Clone().SetName("")
	zq = core.Record(zq, "straight_through", []*core.Tensor{z}, func(g *core.Tensor) {
		if g.Storage() == nil {
			z.AccumulateGrad(g.Data)
			return
		}
		gz := z.EnsureGrad()
		be.Binary(core.OpAdd, gz, g, gz)
	})
	codebookTerm := Mean(Square(Sub(z.Detach(), q)))
	commitment := Mean(Square(Sub(z, q.Detach())))
	loss = Add(codebookTerm, Scale(commitment, beta))
	return zq, ids, loss
}
