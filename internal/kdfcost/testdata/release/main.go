// Command release is a non-test program that tries to lower the KDF cost;
// kdfcost's tests build and run it and expect it to crash.
package main

import (
	"fmt"

	"refuge/internal/kdfcost"
)

func main() {
	fmt.Println("low before:", kdfcost.Low())
	kdfcost.LowerForTests() // must panic: this is not a test binary
	fmt.Println("low after:", kdfcost.Low())
}
