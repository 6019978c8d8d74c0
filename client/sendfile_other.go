//go:build !linux

package client

import (
	"errors"
	"net"
	"os"
)

// canSendFile says that sendFile works here: it does on Linux only
// (sendfile's other forms differ), and bodies are copied elsewhere.
const canSendFile = false

func sendFile(*net.TCPConn, *os.File, int64, int, func(int)) (int, error) {
	return 0, errors.ErrUnsupported
}
