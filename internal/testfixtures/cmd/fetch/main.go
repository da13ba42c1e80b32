// Command fetch downloads and caches the large test fixtures (the reference
// tokenizer.json files) so that tests can run offline afterwards.
//
//	go run ./internal/testfixtures/cmd/fetch
package main

import (
	"fmt"
	"os"

	"github.com/nuri-ai/nuri/internal/testfixtures"
)

func main() {
	if err := testfixtures.FetchAll(); err != nil {
		fmt.Fprintln(os.Stderr, "fetch:", err)
		os.Exit(1)
	}
	fmt.Println("tokenizer fixtures ready")
}
