package metrics

import (
	"encoding/json"
	"fmt"
	"math"
)

// Estimate is a mean with its standard error.
type Estimate struct {
	Mean float64 `json:"mean"`
	// SE is the standard error of Mean; NaN with fewer than two clusters.
	SE float64 `json:"se"`
	// N is the number of observations and Clusters the number of clusters
	// (independent units) they came in.
	N        int `json:"n"`
	Clusters int `json:"clusters"`
}

// ClusterMean returns the mean of values and its cluster-robust standard
// error, where cluster[i] names the cluster (for example the in-context
// prompt) that values[i] came from. Observations within a cluster are not
// independent, so the estimate works on cluster means: with m_g the mean of
// cluster g and G clusters,
//
//	Mean = (1/G) Σ_g m_g,  SE = sd(m_1…m_G) / √G,
//
// sd the sample standard deviation (divisor G−1). With clusters of equal
// size Mean is the plain mean of values. SE is NaN when G < 2. It panics if
// the lengths differ or values is empty.
func ClusterMean(values []float64, cluster []int) Estimate {
	if len(values) != len(cluster) || len(values) == 0 {
		panic(fmt.Sprintf("metrics.ClusterMean: %d values, %d cluster ids", len(values), len(cluster)))
	}
	sum := map[int]float64{}
	count := map[int]int{}
	var order []int
	for i, v := range values {
		c := cluster[i]
		if _, ok := count[c]; !ok {
			order = append(order, c)
		}
		sum[c] += v
		count[c]++
	}
	means := make([]float64, len(order))
	for i, c := range order {
		means[i] = sum[c] / float64(count[c])
	}
	e := MeanSE(means)
	e.N = len(values)
	return e
}

// PairedClusterMean returns ClusterMean of the paired differences a[i] − b[i]:
// the cluster-robust estimate of how much a exceeds b when both were
// measured on the same items.
func PairedClusterMean(a, b []float64, cluster []int) Estimate {
	if len(a) != len(b) {
		panic(fmt.Sprintf("metrics.PairedClusterMean: %d and %d values", len(a), len(b)))
	}
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	return ClusterMean(d, cluster)
}

// MeanSE returns the mean of independent values and its standard error
// sd/√n (sample sd, divisor n−1; NaN when n < 2), each value its own
// cluster. It panics on an empty slice.
func MeanSE(values []float64) Estimate {
	n := len(values)
	if n == 0 {
		panic("metrics.MeanSE: no values")
	}
	mean := 0.0
	for _, v := range values {
		mean += v
	}
	mean /= float64(n)
	se := math.NaN()
	if n > 1 {
		ss := 0.0
		for _, v := range values {
			ss += (v - mean) * (v - mean)
		}
		se = math.Sqrt(ss / float64(n-1) / float64(n))
	}
	return Estimate{Mean: mean, SE: se, N: n, Clusters: n}
}

// MeanOfEstimates returns the unweighted mean of independent estimates
// (for example one per task family, each over its own prompts) with the
// standard error √(Σ SE_k²) / K.
func MeanOfEstimates(es []Estimate) Estimate {
	if len(es) == 0 {
		panic("metrics.MeanOfEstimates: no estimates")
	}
	var out Estimate
	v := 0.0
	for _, e := range es {
		out.Mean += e.Mean
		v += e.SE * e.SE
		out.N += e.N
		out.Clusters += e.Clusters
	}
	k := float64(len(es))
	out.Mean /= k
	out.SE = math.Sqrt(v) / k
	return out
}

// String formats the estimate as "mean ± se".
func (e Estimate) String() string {
	if math.IsNaN(e.SE) {
		return fmt.Sprintf("%.2f", e.Mean)
	}
	return fmt.Sprintf("%.2f ± %.2f", e.Mean, e.SE)
}

// MarshalJSON writes {"mean":…,"se":…,"n":…,"clusters":…}, with a null
// SE when it is NaN (JSON has no NaN).
func (e Estimate) MarshalJSON() ([]byte, error) {
	return json.Marshal(e.fields())
}

// fields returns the estimate as a JSON-ready map.
func (e Estimate) fields() map[string]any {
	var se any = e.SE
	if math.IsNaN(e.SE) || math.IsInf(e.SE, 0) {
		se = nil
	}
	return map[string]any{"mean": e.Mean, "se": se, "n": e.N, "clusters": e.Clusters}
}

// JSONFields returns the estimate's JSON object as a map, for callers that
// add fields of their own.
func (e Estimate) JSONFields() map[string]any { return e.fields() }
