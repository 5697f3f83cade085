package gemm

import (
	"fmt"
	"os"
)

func init() {
	if s := os.Getenv("TUNE"); s != "" {
		v := variants[0]
		fmt.Sscanf(s, "%d,%d,%d", &v.kc, &v.mc, &v.nc)
	}
}
