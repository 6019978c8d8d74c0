package manifest

import (
	"fmt"
	"io"
	"os"

	"refuge/crypto/signing"
)

// ReadFiles reads a manifest and its detached signature (conventionally
// path and path+".minisig"), refusing files larger than the limits (MaxSize
// and signing.MaxSignatureSize) without reading them whole. It does not
// verify them; pass the result to [Verify].
func ReadFiles(manifestPath, signaturePath string) (manifestJSON, signature []byte, err error) {
	manifestJSON, err = readLimited(manifestPath, MaxSize, ErrTooLarge)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the key manifest: %w", err)
	}
	signature, err = readLimited(signaturePath, signing.MaxSignatureSize, ErrBadSignature)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the key manifest signature: %w", err)
	}
	return manifestJSON, signature, nil
}

func readLimited(path string, limit int64, tooLarge error) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, tooLarge
	}
	return b, nil
}
