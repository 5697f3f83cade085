package model

import "testing"

func TestBenchDecodeReports(t *testing.T) {
	cfg := Presets["tiny"]
	r, err := BenchDecode(cfg, []int{1, 3}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	ie := (cfg.SeqLen - 1 - cfg.XP) * 2 / 5
	if r.PrefixTokens != 1+ie+cfg.XP || r.Kept != 1+cfg.XP || len(r.Decode) != 2 || r.Decode[1].Batch != 3 ||
		r.Decode[0].TokensPerS <= 0 || r.CompressMS <= 0 {
		t.Fatalf("decode bench %+v: want prefix %d, kept %d, positive rates for batches 1 and 3", r, 1+ie+cfg.XP, 1+cfg.XP)
	}
	if _, err := BenchDecode(cfg, []int{1}, 0, 1); err == nil {
		t.Fatal("zero tokens accepted")
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, p := range []string{"tiny", "small"} {
		b.Run(p, func(b *testing.B) {
			r, err := BenchDecode(Presets[p], []int{1, 8}, 32*b.N, 1)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(r.Decode[0].TokensPerS, "tokens/s@1")
			b.ReportMetric(r.Decode[1].TokensPerS, "tokens/s@8")
			b.ReportMetric(r.CompressMS, "compress-ms")
		})
	}
}
