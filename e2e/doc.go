// Package e2e holds Refuge's end-to-end tests: the whole journey of a
// submission through the three real binaries (refuge, refuge-server,
// refuge-officer), built with "go build" and run as subprocesses against a
// real bbolt store on 127.0.0.1, as docs/walkthrough.md describes it.
//
// It has no code of its own; run it with
//
//	go test ./e2e
//
// The tests need script(1) (util-linux) to type a passphrase into stock age,
// and stock minisign to verify an acknowledgement; ./test.sh installs both.
package e2e
