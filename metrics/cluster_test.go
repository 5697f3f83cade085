package metrics

import (
	"math"
	"testing"

	"xprompt/img"
)

func TestClusterMeanByHand(t *testing.T) {
	// Three prompts of two queries: cluster means 1.5, 4, 8; mean 4.5;
	// deviations −3, −0.5, 3.5; Σd² = 21.5; sd² = 21.5/2 = 10.75;
	// SE = √(10.75/3) = 1.8929694486000912.
	values := []float64{1, 2, 3, 5, 7, 9}
	cluster := []int{0, 0, 1, 1, 2, 2}
	e := ClusterMean(values, cluster)
	if math.Abs(e.Mean-4.5) > 1e-12 || math.Abs(e.SE-1.8929694486000912) > 1e-12 || e.N != 6 || e.Clusters != 3 {
		t.Fatalf("ClusterMean = %+v, want mean 4.5, SE 1.89297, 6 values in 3 clusters", e)
	}
	// The same six values as independent draws: Σd² = 47.5, SE = √(9.5/6),
	// smaller than the clustered SE: treating queries of one prompt as
	// independent understates the error.
	n := MeanSE(values)
	if math.Abs(n.SE-math.Sqrt(9.5/6)) > 1e-12 || !(n.SE < e.SE) {
		t.Fatalf("MeanSE = %+v, want SE %.6f below the clustered %.6f", n, math.Sqrt(9.5/6), e.SE)
	}
	// Cluster ids need not be sorted or contiguous; unequal sizes weigh
	// clusters equally: means (1+2+3)/3 = 2 and 10 → mean 6, SE = 8/2 = 4.
	u := ClusterMean([]float64{1, 10, 2, 3}, []int{7, 3, 7, 7})
	if math.Abs(u.Mean-6) > 1e-12 || math.Abs(u.SE-4) > 1e-12 {
		t.Fatalf("unequal clusters: %+v, want mean 6 ± 4", u)
	}
	if one := ClusterMean([]float64{1, 2}, []int{0, 0}); !math.IsNaN(one.SE) || one.Mean != 1.5 {
		t.Fatalf("one cluster: %+v, want mean 1.5 and SE NaN", one)
	}
}

func TestPairedClusterMeanByHand(t *testing.T) {
	// Differences 1, 1 | 0, 2 | 3, 5: cluster means 1, 1, 4; mean 2;
	// Σd² = 1 + 1 + 4 = 6; SE = √(6/2/3) = 1.
	a := []float64{11, 12, 10, 14, 13, 15}
	b := []float64{10, 11, 10, 12, 10, 10}
	e := PairedClusterMean(a, b, []int{0, 0, 1, 1, 2, 2})
	if math.Abs(e.Mean-2) > 1e-12 || math.Abs(e.SE-1) > 1e-12 {
		t.Fatalf("PairedClusterMean = %+v, want 2 ± 1", e)
	}
	// Two families: (2 ± 1) and (4 ± 2) → mean 3, SE √5/2.
	m := MeanOfEstimates([]Estimate{{Mean: 2, SE: 1, N: 6, Clusters: 3}, {Mean: 4, SE: 2, N: 4, Clusters: 2}})
	if math.Abs(m.Mean-3) > 1e-12 || math.Abs(m.SE-math.Sqrt(5)/2) > 1e-12 || m.N != 10 || m.Clusters != 5 {
		t.Fatalf("MeanOfEstimates = %+v, want 3 ± 1.118 over 10 values in 5 clusters", m)
	}
}

func TestRegionMaskAndMaskedPSNRByHand(t *testing.T) {
	a := img.New(4, 3)
	b := a.Clone()
	b.Set(0, 0, 0.5, 0, 0) // the only change
	mask, err := ChangedMask(a, b, 0)
	if err != nil {
		t.Fatal(err)
	}
	for p, on := range mask {
		if on != (p == 0) {
			t.Fatalf("ChangedMask: pixel %d set %v", p, on)
		}
	}
	d := Dilate(mask, 4, 3, 1)
	want := map[int]bool{0: true, 1: true, 4: true, 5: true} // (0,0) (1,0) (0,1) (1,1)
	for p, on := range d {
		if on != want[p] {
			t.Fatalf("Dilate: pixel %d set %v", p, on)
		}
	}
	// Over the 4 dilated pixels (12 values) one differs by 0.5:
	// MSE = 0.25/12, PSNR = 10·log10(48).
	got, err := MaskedPSNR(a, b, d)
	if err != nil || math.Abs(got-10*math.Log10(48)) > 1e-9 {
		t.Fatalf("MaskedPSNR = %v, %v; want %v", got, err, 10*math.Log10(48))
	}
	// The whole-image PSNR is higher: the change is diluted by the
	// unchanged pixels (0.25/36 → 10·log10(144)).
	whole, _ := PSNR(a, b)
	if !(whole > got) || math.Abs(whole-10*math.Log10(144)) > 1e-9 {
		t.Fatalf("PSNR = %v, want 10·log10(144) above the region's %v", whole, got)
	}
	if _, err := MaskedPSNR(a, b, make([]bool, 12)); err == nil {
		t.Fatal("an empty mask gave no error")
	}
	if _, err := MaskedPSNR(a, b, make([]bool, 5)); err == nil {
		t.Fatal("a mask of the wrong size gave no error")
	}
}
