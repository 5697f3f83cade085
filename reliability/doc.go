// Package reliability runs the project's long-haul checks and reports them
// as a table of figures: a soak of many cells through a real Jupyter client
// (jupyter_client on /usr/bin/python3) with the kernel's RSS before and
// after, client reconnects and kernel restarts, hostile frames on the shell
// socket, kill -9 at random moments during checkpoint, tokenizer and image
// saves, and short runs of every fuzz target.
//
// CI runs it briefly (TestReliabilityShort, and .ci/run's fuzz loop); by
// hand it runs at length:
//
//	go run ./reliability/cmd/xprompt-reliability -cells 10000 -reconnects 100 -restarts 100 -kills 200 -fuzztime 30s
package reliability
